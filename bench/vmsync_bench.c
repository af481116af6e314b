// SPDX-License-Identifier: GPL-2.0
/*
 * vmsync_bench: vmsync against Linux's own paths, in one run, on the same
 * file and the same data (make bench runs it in the QEMU test kernels).
 *
 * Every case times the vmsync call and its native anchor alternately, one
 * repetition after the other, the order flipped every repetition, so that
 * a slow spell of a shared host falls on both.  Each row prints the median
 * and the range over the repetitions of both, and of the per-repetition
 * ratio vmsync / native (for the throughput cases, 7 and 8, the ratio is
 * of operations per second, so higher is better there).  Where the issue
 * set a target, the row says whether it was met.
 *
 * The data written is a function of the seed ($VMSYNC_BENCH_SEED, default
 * fixed); $VMSYNC_BENCH_REPS scales the repetitions, $VMSYNC_BENCH_DIR is
 * where the files go (default $VMSYNC_TEST_DIR, else the current
 * directory), and $VMSYNC_BENCH_QUICK=1 makes every case small (a smoke
 * run, whose numbers mean nothing).  The last line is the whole result as
 * JSON, after "BENCH-JSON ".
 *
 * Background writeback is switched off while it runs (and restored), so
 * that the pages a case dirtied are all still dirty when it times the
 * call: otherwise the flusher would write a varying share of them first.
 *
 * LMDB (case 8) is linked with --wrap=msync: its msync() calls go to
 * __wrap_msync() below, which sends them to vmsync_msync() or to libc's
 * msync(); every other msync() of this program goes to libc's too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "vmsync/mach.h"
#include "vmsync_test_util.h"

#define P		4096UL
#define MAX_REPS	64
#define MAX_ROWS	64

static unsigned int reps_scale = 1;
static bool quick;
static uint64_t seed = 0x766d73796e63ULL;	/* "vmsync" */
static char dir[256];
static int failures;

/* --- small helpers ------------------------------------------------------ */

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "vmsync_bench: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The fill byte of page i at generation g: the same in every run of a seed. */
static unsigned char fill(size_t i, unsigned int g)
{
	uint64_t x = seed ^ (i * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)g << 32);

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	return (unsigned char)(x | 1);
}

static void dirty_pages(unsigned char *map, size_t first, size_t n,
			unsigned int g)
{
	size_t i;

	for (i = first; i < first + n; i++)
		memset(map + i * P, fill(i, g), P);
}

static void touch_pages(const unsigned char *map, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)__atomic_load_n(map + i * P, __ATOMIC_RELAXED);
}

static size_t resident(void *addr, size_t n)
{
	unsigned char *vec = malloc(n);
	size_t i, r = 0;

	if (!vec || mincore(addr, n * P, vec))
		die("mincore: %s", strerror(errno));
	for (i = 0; i < n; i++)
		r += vec[i] & 1;
	free(vec);
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct stat3 {
	double med, min, max;
};

static struct stat3 stats(const double *v, unsigned int n)
{
	double s[MAX_REPS];
	struct stat3 r = { 0 };

	/* No samples, no median: s[n / 2 - 1] would be far past s[]. */
	if (!n)
		return r;
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	r.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	r.min = s[0];
	r.max = s[n - 1];
	return r;
}

static unsigned int reps(unsigned int n)
{
	n *= reps_scale;
	if (quick)
		n = 3;
	return n > MAX_REPS ? MAX_REPS : n;
}

/* A file of n pages in dir, written with generation 0 and on the disk. */
static int make_file(const char *name, size_t n, char *path, size_t size)
{
	unsigned char *buf = malloc(256 * P);
	size_t i, done = 0;
	int fd;

	snprintf(path, size, "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || !buf)
		die("%s: %s", path, strerror(errno));
	while (done < n) {
		size_t chunk = n - done < 256 ? n - done : 256;

		for (i = 0; i < chunk; i++)
			memset(buf + i * P, fill(done + i, 0), P);
		if (pwrite(fd, buf, chunk * P, (off_t)(done * P)) !=
		    (ssize_t)(chunk * P))
			die("write %s: %s", path, strerror(errno));
		done += chunk;
	}
	if (fsync(fd))
		die("fsync %s: %s", path, strerror(errno));
	free(buf);
	return fd;
}

static unsigned char *map_file(int fd, size_t len)
{
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (m == MAP_FAILED)
		die("mmap %zu bytes: %s", len, strerror(errno));
	return m;
}

/* --- background writeback off ------------------------------------------- */

/* The flusher's period and the dirty thresholds (sysctl names under vm/). */
static const char *const vm_knobs[] = {
	"vm/dirty_writeback_centisecs",
	"vm/dirty_expire_centisecs",
	"vm/dirty_background_ratio",
	"vm/dirty_ratio",
};

static const char *const vm_quiet[] = { "0", "360000", "90", "95" };
static char vm_saved[4][32];

static void writeback_off(void)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		if (vt_sysctl_get(vm_knobs[i], vm_saved[i], sizeof(vm_saved[i])) ||
		    vt_sysctl_set(vm_knobs[i], vm_quiet[i]))
			fprintf(stderr, "vmsync_bench: cannot set %s\n",
				vm_knobs[i]);
}

static void writeback_restore(void)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		if (vm_saved[i][0])
			vt_sysctl_set(vm_knobs[i], vm_saved[i]);
}

/* --- results ------------------------------------------------------------ */

enum goal { NONE, AT_MOST, AT_LEAST };

struct row {
	const char *id;		/* the issue's case number */
	char what[96];
	const char *unit;
	struct stat3 vmsync, native, ratio;
	enum goal goal;
	double target;
	bool goal_vmsync;	/* the target is on vmsync's figure, not the ratio */
};

static struct row rows[MAX_ROWS];
static unsigned int nrows;

static const char *verdict(const struct row *r)
{
	double x = r->goal_vmsync ? r->vmsync.med : r->ratio.med;

	if (r->goal == NONE)
		return "";
	if (r->goal == AT_MOST ? x <= r->target : x >= r->target)
		return "met";
	return "MISSED";
}

static void print_row(const struct row *r)
{
	char target[32] = "";

	if (r->goal != NONE)
		snprintf(target, sizeof(target), "%s%s%.2f %s",
			 r->goal_vmsync ? "vmsync " : "",
			 r->goal == AT_MOST ? "<=" : ">=", r->target,
			 verdict(r));
	printf("%-3s %-56s %-9s %9.4g [%.4g-%.4g] %9.4g [%.4g-%.4g]  %5.2f [%.2f-%.2f]  %s\n",
	       r->id, r->what, r->unit, r->vmsync.med, r->vmsync.min,
	       r->vmsync.max, r->native.med, r->native.min, r->native.max,
	       r->ratio.med, r->ratio.min, r->ratio.max, target);
	fflush(stdout);
}

/*
 * Record a row from n repetitions: vmsync's and the native figure of each,
 * and their ratio, repetition by repetition.
 */
static void add_row(const char *id, const char *unit, enum goal goal,
		    double target, const double *v, const double *nat,
		    unsigned int n, const char *fmt, ...)
{
	double ratio[MAX_REPS];
	struct row *r;
	unsigned int i;
	va_list ap;

	if (nrows == MAX_ROWS)
		die("too many rows");
	r = &rows[nrows++];
	r->id = id;
	r->unit = unit;
	r->goal = goal;
	r->target = target;
	va_start(ap, fmt);
	vsnprintf(r->what, sizeof(r->what), fmt, ap);
	va_end(ap);
	for (i = 0; i < n; i++)
		ratio[i] = v[i] / nat[i];
	r->vmsync = stats(v, n);
	r->native = stats(nat, n);
	r->ratio = stats(ratio, n);
	print_row(r);
}

/* The last row's target applies to vmsync's own figure; print it again. */
static void target_on_vmsync(enum goal goal, double target)
{
	struct row *r = &rows[nrows - 1];

	r->goal = goal;
	r->target = target;
	r->goal_vmsync = true;
	printf("    ^ target on vmsync's figure: %s%.2f %s\n",
	       goal == AT_MOST ? "<=" : ">=", target, verdict(r));
}

static void json_stat(const char *name, const struct stat3 *s,
		      const char *sep)
{
	printf("\"%s\":{\"median\":%.6g,\"min\":%.6g,\"max\":%.6g}%s",
	       name, s->med, s->min, s->max, sep);
}

static void print_json(void)
{
	struct utsname u;
	unsigned int i;

	uname(&u);
	printf("BENCH-JSON {\"kernel\":\"%s\",\"seed\":%llu,", u.release,
	       (unsigned long long)seed);
	printf("\"reps_scale\":%u,\"quick\":%s,\"results\":[", reps_scale,
	       quick ? "true" : "false");
	for (i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];

		printf("%s{\"case\":\"%s\",\"what\":\"%s\",\"unit\":\"%s\",",
		       i ? "," : "", r->id, r->what, r->unit);
		json_stat("vmsync", &r->vmsync, ",");
		json_stat("native", &r->native, ",");
		json_stat("ratio", &r->ratio, "");
		if (r->goal != NONE) {
			printf(",\"target\":{\"on\":\"%s\",\"op\":\"%s\",",
			       r->goal_vmsync ? "vmsync" : "ratio",
			       r->goal == AT_MOST ? "<=" : ">=");
			printf("\"value\":%.2f,\"met\":%s}", r->target,
			       strcmp(verdict(r), "met") ? "false" : "true");
		}
		printf("}");
	}
	printf("]}\n");
}

/* --- the calls compared ------------------------------------------------- */

int __real_msync(void *addr, size_t len, int flags);

static void call_ok(int ret, const char *what)
{
	if (ret)
		die("%s: %s", what, strerror(errno));
}

static void native_sync(void *a, size_t len)
{
	call_ok(__real_msync(a, len, MS_SYNC), "msync(MS_SYNC)");
}

static void vms_sync(void *a, size_t len)
{
	call_ok(vmsync_msync(a, len, MS_SYNC), "vmsync_msync(MS_SYNC)");
}

static void vm_sync(void *a, size_t len)
{
	kern_return_t kr = vm_msync(vm_task_self(), (vm_address_t)a, len,
				    VM_SYNC_SYNCHRONOUS);

	if (kr != KERN_SUCCESS)
		die("vm_msync(SYNCHRONOUS): %s", vmsync_kern_return_string(kr));
}

/* Time one call of fn; returns seconds. */
static double timed(void (*fn)(void *addr, size_t len), void *a, size_t len)
{
	double t0 = now();

	fn(a, len);
	return now() - t0;
}

/* --- case 1 and 6: the cost of a call that has nothing to do ---------- */

static double per_call(void (*fn)(void *addr, size_t len), void *a, size_t len,
		       unsigned int k)
{
	double t0 = now();
	unsigned int i;

	for (i = 0; i < k; i++)
		fn(a, len);
	return (now() - t0) / k * 1e6;
}

static void null_syscall(void *a, size_t len)
{
	(void)a;
	(void)len;
	syscall(SYS_getppid);
}

static void api_ioctl(void *a, size_t len)
{
	struct vmsync_api api;

	(void)a;
	(void)len;
	call_ok(vmsync_get_api(&api), "vmsync_get_api");
}

static void bench_clean_calls(void)
{
	unsigned int n = reps(9), k = quick ? 50 : 500, r;
	double v[MAX_REPS], vm[MAX_REPS], nat[MAX_REPS], api[MAX_REPS],
	       nul[MAX_REPS];
	char path[512];
	unsigned char *map;
	int fd;

	fd = make_file("bench-clean", 1, path, sizeof(path));
	map = map_file(fd, P);
	touch_pages(map, 1);
	for (r = 0; r < n; r++) {
		if (r % 2) {
			nat[r] = per_call(native_sync, map, P, k);
			v[r] = per_call(vms_sync, map, P, k);
			vm[r] = per_call(vm_sync, map, P, k);
			nul[r] = per_call(null_syscall, NULL, 0, k);
			api[r] = per_call(api_ioctl, NULL, 0, k);
		} else {
			api[r] = per_call(api_ioctl, NULL, 0, k);
			nul[r] = per_call(null_syscall, NULL, 0, k);
			vm[r] = per_call(vm_sync, map, P, k);
			v[r] = per_call(vms_sync, map, P, k);
			nat[r] = per_call(native_sync, map, P, k);
		}
	}
	add_row("1", "us/call", AT_MOST, 1.10, v, nat, n,
		"MS_SYNC, clean resident page vs msync");
	add_row("1", "us/call", AT_MOST, 1.10, vm, nat, n,
		"vm_msync(SYNCHRONOUS), clean page vs msync");
	add_row("1", "us/call", NONE, 0, api, nul, n,
		"API ioctl (floor) vs getppid()");
	add_row("6", "us/call", NONE, 0, vm, nul, n,
		"pager round trip, nothing dirty vs getppid()");
	munmap(map, P);
	close(fd);
	unlink(path);
}

/* --- case 2: syncing N dirty pages ------------------------------------- */

static void bench_dirty(size_t npages, unsigned int nreps)
{
	unsigned int n = reps(nreps), r, g = 1;
	double v[MAX_REPS], vm[MAX_REPS], nat[MAX_REPS];
	double mib = (double)(npages * P) / (1 << 20);
	struct stat3 s;
	char path[512];
	unsigned char *map;
	size_t len = npages * P;
	int fd;

	fd = make_file("bench-dirty", npages, path, sizeof(path));
	map = map_file(fd, len);
	touch_pages(map, npages);
	for (r = 0; r < n; r++) {
		/* Three orders, turn by turn. */
		void (*order[3][3])(void *addr, size_t len) = {
			{ vms_sync, vm_sync, native_sync },
			{ native_sync, vms_sync, vm_sync },
			{ vm_sync, native_sync, vms_sync },
		};
		unsigned int j;

		for (j = 0; j < 3; j++) {
			void (*fn)(void *addr, size_t len) = order[r % 3][j];
			double t;

			dirty_pages(map, 0, npages, g++);
			t = timed(fn, map, len) * 1e3;
			if (fn == vms_sync)
				v[r] = t;
			else if (fn == vm_sync)
				vm[r] = t;
			else
				nat[r] = t;
		}
	}
	add_row("2", "ms", AT_MOST, 1.10, v, nat, n,
		"MS_SYNC, %zu dirty page(s) vs msync", npages);
	add_row("2", "ms", AT_MOST, 1.10, vm, nat, n,
		"vm_msync(SYNCHRONOUS), %zu dirty page(s) vs msync", npages);
	s = stats(v, n);
	printf("#   %zu pages: vmsync %.1f MiB/s, ", npages, mib / s.med * 1e3);
	s = stats(nat, n);
	printf("native %.1f MiB/s\n", mib / s.med * 1e3);
	munmap(map, len);
	close(fd);
	unlink(path);
}

/* --- case 3: one dirty page in a large sparse range --------------------- */

static void bench_sparse(void)
{
	static const size_t sizes_mib[] = { 0, 1024, 64 * 1024 };
	unsigned int n = reps(9), r, i, g = 1;
	double v[3][MAX_REPS], nat[3][MAX_REPS];
	size_t maplen = 64UL << 30;
	char path[512];
	unsigned char *map;
	int fd;

	if (sizeof(void *) < 8 || quick)
		maplen = 1UL << 30;
	snprintf(path, sizeof(path), "%s/bench-sparse", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)maplen))
		die("%s: %s", path, strerror(errno));
	map = map_file(fd, maplen);
	/* The page and its block exist before the first timed call. */
	dirty_pages(map, 0, 1, g++);
	call_ok(fsync(fd), "fsync");
	for (r = 0; r < n; r++) {
		for (i = 0; i < 3; i++) {
			size_t len = sizes_mib[i] ? sizes_mib[i] << 20 : P;

			if (len > maplen)
				len = maplen;
			dirty_pages(map, 0, 1, g++);
			if (r % 2)
				nat[i][r] = timed(native_sync, map, len) * 1e6;
			dirty_pages(map, 0, 1, g++);
			v[i][r] = timed(vms_sync, map, len) * 1e6;
			if (!(r % 2)) {
				dirty_pages(map, 0, 1, g++);
				nat[i][r] = timed(native_sync, map, len) * 1e6;
			}
		}
	}
	for (i = 0; i < 3; i++) {
		size_t len = sizes_mib[i] ? sizes_mib[i] << 20 : P;

		if (len > maplen)
			len = maplen;
		if (len == P)
			add_row("3", "us", NONE, 0, v[i], nat[i], n,
				"MS_SYNC, 1 dirty page, 1-page range vs msync");
		else
			add_row("3", "us", NONE, 0, v[i], nat[i], n,
				"MS_SYNC, 1 dirty page in %zu MiB vs msync",
				len >> 20);
	}
	/* How each grows from the 1-page range to the largest. */
	for (r = 0; r < n; r++) {
		v[0][r] = v[2][r] / v[0][r];
		nat[0][r] = nat[2][r] / nat[0][r];
	}
	add_row("3", "x 1 page", NONE, 0, v[0], nat[0], n,
		"growth, %zu MiB range / 1-page range", maplen >> 20);
	target_on_vmsync(AT_MOST, 1.5);
	munmap(map, maplen);
	close(fd);
	unlink(path);
}

/* --- case 4: starting writeback ----------------------------------------- */

/*
 * What native_start() and vms_start() start the writeback of: the file's
 * first len bytes, by its descriptor or through its mapping.  Passed as
 * their address argument, so that each caller names its own file.
 */
struct start_target {
	unsigned char *map;
	int fd;
};

static void native_start(void *a, size_t len)
{
	const struct start_target *t = a;

	call_ok(sync_file_range(t->fd, 0, (off_t)len, SYNC_FILE_RANGE_WRITE),
		"sync_file_range(WRITE)");
}

static void vms_start(void *a, size_t len)
{
	const struct start_target *t = a;

	call_ok(vmsync_msync(t->map, len, MS_ASYNC), "vmsync_msync(MS_ASYNC)");
}

static void bench_start_writeback(size_t npages, unsigned int nreps)
{
	unsigned int n = reps(nreps), r, g = 1;
	double v[MAX_REPS], nat[MAX_REPS];
	size_t len = npages * P;
	struct start_target tgt;
	char path[512];

	tgt.fd = make_file("bench-async", npages, path, sizeof(path));
	tgt.map = map_file(tgt.fd, len);
	touch_pages(tgt.map, npages);
	for (r = 0; r < 2 * n; r++) {
		bool native = (r % 2) ^ (r / 2 % 2);
		double t;

		dirty_pages(tgt.map, 0, npages, g++);
		t = timed(native ? native_start : vms_start, &tgt, len) * 1e6;
		if (native)
			nat[r / 2] = t;
		else
			v[r / 2] = t;
		/* Untimed: the writes end before the next repetition. */
		call_ok(fsync(tgt.fd), "fsync");
	}
	add_row("4", "us", AT_MOST, 1.10, v, nat, n,
		"MS_ASYNC, %zu dirty page(s) vs sync_file_range", npages);
	munmap(tgt.map, len);
	close(tgt.fd);
	unlink(path);
}

/*
 * What a call with nothing to write costs in the state the case-4 calls are
 * made in.  Under TCG a kernel path costs several times more when the CPU
 * has just slept or has just sent a write to the virtio disk than when it
 * runs again at once, and more so the more code and data it touches: the
 * fixed part of a vmsync call, which sync_file_range() does not have, is
 * therefore dearest exactly where case 4 measures it (docs/performance.md).
 */
enum call_state { AT_ONCE, AFTER_SLEEP, AFTER_WRITE };

static unsigned char *other_map;
static int other_fd;

/* The median, in microseconds, of k calls of fn made in state st. */
static double call_in_state(void (*fn)(void *addr, size_t len), void *a,
			    size_t len, enum call_state st, unsigned int k)
{
	double t[MAX_REPS];
	unsigned int i;

	if (k > MAX_REPS)
		k = MAX_REPS;
	for (i = 0; i < k; i++) {
		switch (st) {
		case AT_ONCE:
			fn(a, len);
			break;
		case AFTER_SLEEP:
			usleep(200);
			break;
		case AFTER_WRITE:
			dirty_pages(other_map, 0, 1, i + 1);
			call_ok(sync_file_range(other_fd, 0, (off_t)P,
						SYNC_FILE_RANGE_WRITE),
				"sync_file_range(WRITE)");
			break;
		}
		t[i] = timed(fn, a, len) * 1e6;
		if (st == AFTER_WRITE)
			call_ok(fsync(other_fd), "fsync");
	}
	return stats(t, k).med;
}

static void bench_fixed_cost(void)
{
	static const char *const what[] = {
		[AT_ONCE] = "at once after the same call",
		[AFTER_SLEEP] = "after a 200 us sleep",
		[AFTER_WRITE] = "after a write was sent",
	};
	unsigned int n = reps(5), k = quick ? 5 : 40, r;
	double v[3][MAX_REPS], nat[3][MAX_REPS], api[MAX_REPS], nul[MAX_REPS];
	struct start_target tgt;
	char path[512], opath[512];
	enum call_state st;

	tgt.fd = make_file("bench-fixed", 1, path, sizeof(path));
	tgt.map = map_file(tgt.fd, P);
	touch_pages(tgt.map, 1);
	other_fd = make_file("bench-fixed-other", 1, opath, sizeof(opath));
	other_map = map_file(other_fd, P);
	for (r = 0; r < n; r++) {
		for (st = AT_ONCE; st <= AFTER_WRITE; st++) {
			if (r % 2) {
				nat[st][r] = call_in_state(native_start, &tgt,
							   P, st, k);
				v[st][r] = call_in_state(vms_start, &tgt, P,
							 st, k);
			} else {
				v[st][r] = call_in_state(vms_start, &tgt, P,
							 st, k);
				nat[st][r] = call_in_state(native_start, &tgt,
							   P, st, k);
			}
		}
		api[r] = call_in_state(api_ioctl, NULL, 0, AFTER_SLEEP, k);
		nul[r] = call_in_state(null_syscall, NULL, 0, AFTER_SLEEP, k);
	}
	for (st = AT_ONCE; st <= AFTER_WRITE; st++)
		add_row("4", "us", NONE, 0, v[st], nat[st], n,
			"MS_ASYNC, clean page vs sfr, %s", what[st]);
	add_row("1", "us/call", NONE, 0, api, nul, n,
		"API ioctl vs getppid(), after a 200 us sleep");
	munmap(other_map, P);
	close(other_fd);
	unlink(opath);
	munmap(tgt.map, P);
	close(tgt.fd);
	unlink(path);
}

/* --- case 5: dropping clean cached pages -------------------------------- */

/*
 * MS_INVALIDATE alone also means MS_SYNC (the seed's "neither flag":
 * modified pages are written synchronously), so it makes an fsync that
 * munmap+fadvise+mmap does not; its second anchor adds that fdatasync().
 */
static void bench_invalidate(size_t npages, unsigned int nreps)
{
	unsigned int n = reps(nreps), r, j;
	double v[MAX_REPS], vm[MAX_REPS], nat[MAX_REPS], nats[MAX_REPS];
	double rv[MAX_REPS], rnat[MAX_REPS];
	size_t len = npages * P;
	char path[512];
	unsigned char *map;
	int fd;

	fd = make_file("bench-inval", npages, path, sizeof(path));
	map = map_file(fd, len);
	for (r = 0; r < n; r++) {
		for (j = 0; j < 4; j++) {
			unsigned int which = (j + r) % 4;
			double t0, t;
			kern_return_t kr;

			/* Cached, mapped, clean. */
			touch_pages(map, npages);
			if (resident(map, npages) != npages)
				die("case 5: pages not resident before the drop");
			t0 = now();
			if (which == 0) {
				call_ok(vmsync_msync(map, len, MS_INVALIDATE),
					"vmsync_msync(MS_INVALIDATE)");
			} else if (which == 1) {
				kr = vm_msync(vm_task_self(), (vm_address_t)map,
					      len, VM_SYNC_INVALIDATE);
				if (kr != KERN_SUCCESS)
					die("vm_msync(INVALIDATE): %s",
					    vmsync_kern_return_string(kr));
			} else {
				if (which == 3)
					call_ok(fdatasync(fd), "fdatasync");
				call_ok(munmap(map, len), "munmap");
				call_ok(posix_fadvise(fd, 0, (off_t)len,
						      POSIX_FADV_DONTNEED),
					"posix_fadvise");
				if (mmap(map, len, PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_FIXED, fd, 0) != map)
					die("mmap: %s", strerror(errno));
			}
			t = (now() - t0) * 1e6;
			if (resident(map, npages)) {
				printf("#   case 5: %zu of %zu pages still cached after %s\n",
				       resident(map, npages), npages,
				       which >= 2 ? "fadvise" : "vmsync");
				failures++;
			}
			/* The next access reads them back from the disk. */
			t0 = now();
			touch_pages(map, npages);
			if (which == 0) {
				v[r] = t;
				rv[r] = (now() - t0) * 1e6;
			} else if (which == 1) {
				vm[r] = t;
			} else if (which == 3) {
				nats[r] = t;
			} else {
				nat[r] = t;
				rnat[r] = (now() - t0) * 1e6;
			}
		}
	}
	add_row("5", "us", AT_MOST, 1.25, v, nat, n,
		"MS_INVALIDATE, %zu clean pages vs munmap+fadvise+mmap",
		npages);
	add_row("5", "us", AT_MOST, 1.25, vm, nat, n,
		"vm_msync(INVALIDATE), %zu clean pages vs same", npages);
	add_row("5", "us", AT_MOST, 1.25, v, nats, n,
		"MS_INVALIDATE, %zu clean pages vs fdatasync+munmap+...",
		npages);
	add_row("5", "us", NONE, 0, rv, rnat, n,
		"refault of %zu pages after the drop", npages);
	munmap(map, len);
	close(fd);
	unlink(path);
}

/* --- case 7: two threads on disjoint ranges ----------------------------- */

#define SCALE_PAGES	16

struct scaler {
	unsigned char *map;	/* this thread's range */
	void (*fn)(void *addr, size_t len);
	double until;
	unsigned long ops;
};

static void *scale_thread(void *arg)
{
	struct scaler *s = arg;
	unsigned int g = 1;

	while (now() < s->until) {
		dirty_pages(s->map, 0, SCALE_PAGES, g++);
		s->fn(s->map, SCALE_PAGES * P);
		s->ops++;
	}
	return NULL;
}

/* Operations per second of nthreads threads syncing their own range. */
static double scale_run(unsigned char *map, unsigned int nthreads,
			void (*fn)(void *addr, size_t len), double seconds)
{
	struct scaler s[2];
	pthread_t t[2];
	unsigned int i;
	unsigned long ops = 0;
	double until = now() + seconds;

	for (i = 0; i < nthreads; i++) {
		s[i] = (struct scaler){ .map = map + i * SCALE_PAGES * P,
					.fn = fn,
					.until = until };
		if (pthread_create(&t[i], NULL, scale_thread, &s[i]))
			die("pthread_create");
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(t[i], NULL);
		ops += s[i].ops;
	}
	return ops / seconds;
}

static void bench_scaling(void)
{
	unsigned int n = reps(3), r;
	double seconds = quick ? 0.5 : 3;
	double v1[MAX_REPS], v2[MAX_REPS], n1[MAX_REPS], n2[MAX_REPS];
	double vs[MAX_REPS], ns[MAX_REPS];
	char path[512];
	unsigned char *map;
	int fd;

	fd = make_file("bench-scale", 2 * SCALE_PAGES, path, sizeof(path));
	map = map_file(fd, 2 * SCALE_PAGES * P);
	for (r = 0; r < n; r++) {
		v1[r] = scale_run(map, 1, vms_sync, seconds);
		n1[r] = scale_run(map, 1, native_sync, seconds);
		n2[r] = scale_run(map, 2, native_sync, seconds);
		v2[r] = scale_run(map, 2, vms_sync, seconds);
		vs[r] = v2[r] / v1[r];
		ns[r] = n2[r] / n1[r];
	}
	add_row("7", "ops/s", NONE, 0, v1, n1, n,
		"1 thread, MS_SYNC of %d pages vs msync", SCALE_PAGES);
	add_row("7", "ops/s", NONE, 0, v2, n2, n,
		"2 threads, disjoint ranges of one file");
	add_row("7", "2T/1T", NONE, 0, vs, ns, n,
		"scaling, 2 threads / 1 thread");
	target_on_vmsync(AT_LEAST, 1.6);
	munmap(map, 2 * SCALE_PAGES * P);
	close(fd);
	unlink(path);
}

/* --- case 8: LMDB with MDB_WRITEMAP ------------------------------------- */

static bool lmdb_via_vmsync;
static unsigned long lmdb_msyncs;

/* LMDB's msync() (and every other one of this program: see the top). */
int __wrap_msync(void *addr, size_t len, int flags)
{
	if (!lmdb_via_vmsync)
		return __real_msync(addr, len, flags);
	lmdb_msyncs++;
	return vmsync_msync(addr, len, flags);
}

static void lmdb_ok(int rc, const char *what)
{
	if (rc)
		die("%s: %s", what, mdb_strerror(rc));
}

/* Commits per second of ncommits transactions of 8 puts each. */
static double lmdb_run(bool via_vmsync, unsigned int ncommits)
{
	char path[512], file[600];
	unsigned char val[256];
	unsigned int c, i;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	double t0, t;

	snprintf(path, sizeof(path), "%s/bench-lmdb", dir);
	mkdir(path, 0755);
	snprintf(file, sizeof(file), "%s/data.mdb", path);
	unlink(file);
	snprintf(file, sizeof(file), "%s/lock.mdb", path);
	unlink(file);
	lmdb_ok(mdb_env_create(&env), "mdb_env_create");
	lmdb_ok(mdb_env_set_mapsize(env, 256UL << 20), "mdb_env_set_mapsize");
	lmdb_ok(mdb_env_open(env, path, MDB_WRITEMAP, 0644), "mdb_env_open");
	lmdb_via_vmsync = via_vmsync;
	t0 = now();
	for (c = 0; c < ncommits; c++) {
		lmdb_ok(mdb_txn_begin(env, NULL, 0, &txn), "mdb_txn_begin");
		lmdb_ok(mdb_dbi_open(txn, NULL, 0, &dbi), "mdb_dbi_open");
		for (i = 0; i < 8; i++) {
			uint32_t k = (uint32_t)(c * 8 + i) * 2654435761U;
			MDB_val key = { sizeof(k), &k };
			MDB_val data = { sizeof(val), val };

			memset(val, fill(c, i), sizeof(val));
			lmdb_ok(mdb_put(txn, dbi, &key, &data, 0), "mdb_put");
		}
		lmdb_ok(mdb_txn_commit(txn), "mdb_txn_commit");
	}
	t = now() - t0;
	lmdb_via_vmsync = false;
	mdb_env_close(env);
	return ncommits / t;
}

static void bench_lmdb(void)
{
	unsigned int n = reps(5), r, ncommits = quick ? 50 : 500;
	double v[MAX_REPS], nat[MAX_REPS];

	for (r = 0; r < n; r++) {
		if (r % 2) {
			nat[r] = lmdb_run(false, ncommits);
			v[r] = lmdb_run(true, ncommits);
		} else {
			v[r] = lmdb_run(true, ncommits);
			nat[r] = lmdb_run(false, ncommits);
		}
	}
	add_row("8", "commits/s", AT_LEAST, 1.0, v, nat, n,
		"LMDB MDB_WRITEMAP, %u commits, library vs libc", ncommits);
	printf("#   LMDB called msync %.1f times per commit\n",
	       (double)lmdb_msyncs / ((double)n * ncommits));
}

/* --- main --------------------------------------------------------------- */

int main(void)
{
	const char *s;
	double t0 = now();

	setvbuf(stdout, NULL, _IOLBF, 0);
	s = getenv("VMSYNC_BENCH_SEED");
	if (s && *s)
		seed = strtoull(s, NULL, 0);
	s = getenv("VMSYNC_BENCH_REPS");
	if (s && *s)
		reps_scale = (unsigned int)strtoul(s, NULL, 10) ?: 1;
	s = getenv("VMSYNC_BENCH_QUICK");
	quick = s && *s && strcmp(s, "0");
	s = getenv("VMSYNC_BENCH_DIR");
	if (!s || !*s)
		s = getenv("VMSYNC_TEST_DIR");
	snprintf(dir, sizeof(dir), "%s", s && *s ? s : ".");
	if (vmsync_fd() < 0)
		die("/dev/vmsync: %s (is the module loaded?)",
		    vmsync_strerror(errno));

	printf("# vmsync_bench: seed %llu, repetitions x%u%s, files in %s\n",
	       (unsigned long long)seed, reps_scale,
	       quick ? ", quick (numbers mean nothing)" : "", dir);
	printf("%-3s %-56s %-9s %-24s %-24s  %-20s  %s\n", "#", "what", "unit",
	       "vmsync median [range]", "native median [range]",
	       "ratio median [range]", "target");
	writeback_off();
	bench_clean_calls();
	bench_dirty(1, 9);
	bench_dirty(16, 9);
	bench_dirty(256, 9);
	bench_dirty(4096, 5);
	bench_dirty(quick ? 4096 : 65536, 3);
	bench_sparse();
	bench_start_writeback(1, 9);
	bench_start_writeback(16, 9);
	bench_start_writeback(256, 9);
	bench_start_writeback(4096, 5);
	bench_fixed_cost();
	bench_invalidate(256, 9);
	bench_invalidate(4096, 5);
	bench_scaling();
	bench_lmdb();
	writeback_restore();
	printf("# vmsync_bench: %.0f s, %d problems\n", now() - t0, failures);
	print_json();
	return failures ? 1 : 0;
}
