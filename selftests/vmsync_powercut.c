// SPDX-License-Identifier: GPL-2.0
/*
 * The guest half of the power-cut test (scripts/powercut runs it; it is not
 * a selftest of its own, having to be killed in the middle).
 *
 *   vmsync_powercut write  CASE SIZE SEED OFF LEN [OFF2 LEN2]
 *   vmsync_powercut verify CASE SIZE SEED OFF LEN [OFF2 LEN2]
 *
 * "write" creates $VMSYNC_TEST_DIR/powercut.dat, SIZE bytes: its first half
 * (whole pages) written with the "old" pattern, the rest a hole, all of it
 * on stable storage (fsync of the file and of its directory).  With the
 * guest's background writeback off, so that nothing but the call under test
 * writes a dirty page, it stores the "new" pattern through a shared mapping
 * into [OFF, OFF + LEN) (and [OFF2, OFF2 + LEN2)), makes the CASE's call on
 * the range(s), prints "POWERCUT-SYNCED ..." once the call has returned and
 * waits to be killed with the machine:
 *
 *   msync     vmsync_msync(MS_SYNC) of the range
 *   vm_msync  vm_msync(VM_SYNC_SYNCHRONOUS) of the range
 *   ranged    two ranges on disjoint pages, the first synchronised with
 *             vmsync_msync(MS_SYNC), the second with vm_msync(SYNCHRONOUS)
 *   control   no call at all: the new data lives only in the page cache
 *
 * "verify", run on the next boot from the same disk, reads the file back
 * with O_DIRECT and prints for each range how many bytes hold the new
 * pattern, the old one or anything else, how many bytes outside the ranges
 * changed, and one verdict line:
 *
 *   POWERCUT-RESULT intact   every range new, everything else old
 *   POWERCUT-RESULT lost     every range old, everything else old
 *   POWERCUT-RESULT damaged  anything else (a mix, other bytes, wrong size,
 *                            no file)
 *
 * The patterns are pseudo-random functions of SEED and the byte's offset;
 * at every offset the new byte is odd, so never zero (a hole's byte), and
 * differs from the old one.  Exit status: 0 once the verdict is printed,
 * 2 for bad usage, 1 when the test itself could not run, 3 when "write"
 * was not killed within five minutes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest.h"
#include "vmsync/mach.h"
#include "vmsync_test_util.h"

#define FILE_NAME	"powercut.dat"
#define MAX_SIZE	(256UL << 20)

static const char *const cases[] = { "msync", "vm_msync", "ranged", "control" };
enum { CASE_MSYNC, CASE_VM_MSYNC, CASE_RANGED, CASE_CONTROL };

struct range {
	size_t off;
	size_t len;
};

static int the_case;
static size_t file_size, old_len;
static uint64_t seed;
static struct range ranges[2];
static unsigned int nranges;

static uint64_t mix(uint64_t x)
{
	/* splitmix64's finalizer: every input bit reaches every output bit. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static unsigned char byte_of(uint64_t key, size_t pos)
{
	return (unsigned char)(mix(key ^ ((uint64_t)(pos / 8) *
					  0x9e3779b97f4a7c15ULL)) >>
			       (8 * (pos % 8)));
}

/* The file's contents before the test: the pattern, then the hole. */
static unsigned char old_byte(size_t pos)
{
	return pos < old_len ? byte_of(seed, pos) | 1 : 0;
}

/* Odd (never a hole's zero) and never the old byte. */
static unsigned char new_byte(size_t pos)
{
	unsigned char flip = byte_of(~seed, pos) & 0xfe;

	return (byte_of(seed, pos) | 1) ^ (flip ? flip : 2);
}

static bool in_ranges(size_t pos)
{
	unsigned int i;

	for (i = 0; i < nranges; i++)
		if (pos >= ranges[i].off && pos - ranges[i].off < ranges[i].len)
			return true;
	return false;
}

static size_t page_down(size_t x)
{
	return x & ~(vt_page - 1);
}

static size_t page_up(size_t x)
{
	return page_down(x + vt_page - 1);
}

static void die(const char *what)
{
	printf("# vmsync_powercut: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void bad_usage(void)
{
	fprintf(stderr,
		"usage: vmsync_powercut write|verify msync|vm_msync|ranged|control SIZE SEED OFF LEN [OFF2 LEN2]\n");
	exit(2);
}

static size_t parse_size(const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v > MAX_SIZE)
		bad_usage();
	return v;
}

static void parse_args(int argc, char **argv)
{
	unsigned int i;
	char *end;

	if (argc != 7 && argc != 9)
		bad_usage();
	the_case = -1;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (!strcmp(argv[2], cases[i]))
			the_case = i;
	if (the_case < 0)
		bad_usage();
	file_size = parse_size(argv[3]);
	errno = 0;
	seed = strtoull(argv[4], &end, 0);
	if (errno || end == argv[4] || *end)
		bad_usage();
	nranges = (argc - 5) / 2;
	if (nranges != (the_case == CASE_RANGED ? 2U : 1U))
		bad_usage();
	for (i = 0; i < nranges; i++) {
		ranges[i].off = parse_size(argv[5 + 2 * i]);
		ranges[i].len = parse_size(argv[6 + 2 * i]);
		if (!ranges[i].len || ranges[i].off >= file_size ||
		    ranges[i].len > file_size - ranges[i].off)
			bad_usage();
	}
	/* The two ranges of "ranged" share no page, the first comes first. */
	if (nranges == 2 &&
	    page_up(ranges[0].off + ranges[0].len) > page_down(ranges[1].off))
		bad_usage();
	old_len = page_down(file_size / 2);
}

static void path_of(char *path, size_t len)
{
	snprintf(path, len, "%s/%s", vt_test_dir(), FILE_NAME);
}

/* Dirty pages among those of the ranges, as the page flags show them. */
static void count_dirty(const unsigned char *map, const char *when)
{
	size_t pos, dirty = 0, pages = 0;
	unsigned int i;

	for (i = 0; i < nranges; i++) {
		for (pos = page_down(ranges[i].off);
		     pos < ranges[i].off + ranges[i].len; pos += vt_page) {
			pages++;
			dirty += vt_page_dirty(map + pos);
		}
	}
	printf("# %s: %zu of the ranges' %zu pages dirty\n", when, dirty,
	       pages);
}

/* Make the range's call; the range's start is rounded down to a page. */
static void sync_range(unsigned char *map, const struct range *r,
		       bool use_vm_msync)
{
	size_t start = page_down(r->off), len = r->off + r->len - start;
	kern_return_t kr;

	if (!use_vm_msync) {
		if (vmsync_msync(map + start, len, MS_SYNC))
			die("vmsync_msync(MS_SYNC)");
		return;
	}
	kr = vm_msync(vm_task_self(), (vm_address_t)(map + r->off), r->len,
		      VM_SYNC_SYNCHRONOUS);
	if (kr != KERN_SUCCESS) {
		printf("# vm_msync(SYNCHRONOUS): %s\n",
		       vmsync_kern_return_string(kr));
		die("vm_msync(SYNCHRONOUS)");
	}
}

static int do_write(void)
{
	char path[4096], dir_path[4096];
	unsigned char *buf, *map;
	unsigned int i;
	size_t pos;
	int fd, dir;

	if (vmsync_fd() < 0) {
		printf("# %s\n", vmsync_strerror(errno));
		return 1;
	}
	/*
	 * Nothing but the call under test may write a dirty page: in the
	 * control round that keeps the new data in the page cache only, in
	 * the others it makes the call the only way it can reach the disk.
	 * The machine is killed, so nothing is restored.
	 */
	if (vt_sysctl_set("vm/dirty_writeback_centisecs", "0") ||
	    vt_sysctl_set("vm/dirty_expire_centisecs", "8640000"))
		die("turning background writeback off");

	path_of(path, sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(path);
	buf = malloc(old_len + 1);
	if (!buf)
		die("malloc");
	for (pos = 0; pos < old_len; pos++)
		buf[pos] = old_byte(pos);
	if (pwrite(fd, buf, old_len, 0) != (ssize_t)old_len)
		die("writing the old pattern");
	free(buf);
	if (ftruncate(fd, file_size))
		die("ftruncate");
	/* The old contents, the file's size and its name, all stable. */
	if (fsync(fd))
		die("fsync");
	snprintf(dir_path, sizeof(dir_path), "%s", vt_test_dir());
	dir = open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0 || fsync(dir))
		die("fsync of the directory");
	close(dir);
	/* The mapping reads the pages back from the disk, as after a boot. */
	if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
		die("posix_fadvise");

	map = mmap(NULL, file_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   0);
	if (map == MAP_FAILED)
		die("mmap");
	for (i = 0; i < nranges; i++)
		for (pos = ranges[i].off; pos < ranges[i].off + ranges[i].len;
		     pos++)
			map[pos] = new_byte(pos);
	count_dirty(map, "before the call");

	switch (the_case) {
	case CASE_MSYNC:
		sync_range(map, &ranges[0], false);
		break;
	case CASE_VM_MSYNC:
		sync_range(map, &ranges[0], true);
		break;
	case CASE_RANGED:
		sync_range(map, &ranges[0], false);
		sync_range(map, &ranges[1], true);
		break;
	case CASE_CONTROL:
		break;
	}
	count_dirty(map, "after the call");

	/* The host kills the machine as soon as it reads this line. */
	printf("POWERCUT-SYNCED case=%s size=%zu\n", cases[the_case],
	       file_size);
	fflush(stdout);
	for (i = 0; i < 300; i++)
		sleep(1);
	printf("# vmsync_powercut: not killed within 300 s\n");
	return 3;
}

static int do_verify(void)
{
	size_t pos, got = 0, changed = 0;
	size_t counts[2][3] = { { 0 } };	/* new, old, other */
	bool intact, lost;
	char path[4096];
	unsigned char *buf;
	unsigned int i;
	struct stat st;
	ssize_t n;
	int fd;

	path_of(path, sizeof(path));
	/* O_DIRECT: the bytes on the disk, whatever the page cache holds. */
	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		printf("# %s: %s\n", path, strerror(errno));
		printf("POWERCUT-RESULT damaged (no file)\n");
		return 0;
	}
	if (fstat(fd, &st))
		die("fstat");
	if ((size_t)st.st_size != file_size) {
		printf("# %s: %jd bytes, not %zu\n", path, (intmax_t)st.st_size,
		       file_size);
		printf("POWERCUT-RESULT damaged (size)\n");
		return 0;
	}
	if (posix_memalign((void **)&buf, vt_page, page_up(file_size) + 1))
		die("posix_memalign");
	while (got < file_size) {
		n = pread(fd, buf + got, page_up(file_size) - got, got);
		if (n < 0)
			die("pread");
		if (n == 0)
			break;
		got += n;
	}
	if (got != file_size) {
		printf("# %s: read %zu bytes of %zu\n", path, got, file_size);
		printf("POWERCUT-RESULT damaged (short read)\n");
		return 0;
	}

	for (pos = 0; pos < file_size; pos++) {
		if (!in_ranges(pos)) {
			changed += buf[pos] != old_byte(pos);
			continue;
		}
		i = nranges == 2 && pos >= ranges[1].off;
		if (buf[pos] == new_byte(pos))
			counts[i][0]++;
		else if (buf[pos] == old_byte(pos))
			counts[i][1]++;
		else
			counts[i][2]++;
	}
	intact = !changed;
	lost = !changed;
	for (i = 0; i < nranges; i++) {
		printf("POWERCUT-RANGE %u off=%zu len=%zu new=%zu old=%zu other=%zu\n",
		       i, ranges[i].off, ranges[i].len, counts[i][0],
		       counts[i][1], counts[i][2]);
		intact = intact && counts[i][0] == ranges[i].len;
		lost = lost && counts[i][1] == ranges[i].len;
	}
	printf("POWERCUT-OUTSIDE changed=%zu\n", changed);
	printf("POWERCUT-RESULT %s\n",
	       intact ? "intact" : lost ? "lost" : "damaged");
	free(buf);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		bad_usage();
	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "write"))
		return do_write();
	if (!strcmp(argv[1], "verify"))
		return do_verify();
	bad_usage();
	return 2;
}
