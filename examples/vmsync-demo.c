// SPDX-License-Identifier: GPL-2.0
/*
 * vmsync-demo: what vmsync_msync() does that Linux's msync() does not, shown
 * on a file on a real disk.  Run as root (it reads the disk directly and
 * turns background writeback off while it runs) in a directory on a block
 * device file system: vmsync-demo [dir].
 *
 * It uses the library's public API, <vmsync.h>, and nothing else of this
 * tree: the page cache's state comes from vmsync_cache_state(); to look at
 * the disk from outside it has small helpers of its own (FIEMAP and
 * O_DIRECT).
 */
#define _GNU_SOURCE	/* O_DIRECT */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/fiemap.h>
#include <linux/fs.h>

#include <vmsync.h>

static size_t demo_page;
static char saved_wb[32];

static double demo_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read or write /proc/sys/<name>: 0 or -1. */
static int demo_sysctl_get(const char *name, char *buf, size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int demo_sysctl_set(const char *name, const char *value)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, value, strlen(value));
	close(fd);
	return n == (ssize_t)strlen(value) ? 0 : -1;
}

/* The block device under fd's file system, opened O_RDWR | O_DIRECT. */
static int demo_disk_open(int fd)
{
	char path[128], line[256];
	struct stat st;
	int disk = -1;
	FILE *f;

	if (fstat(fd, &st))
		return -1;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent",
		 major(st.st_dev), minor(st.st_dev));
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "DEVNAME=", 8))
			continue;
		line[strcspn(line, "\n")] = '\0';
		if ((size_t)snprintf(path, sizeof(path), "/dev/%s", line + 8) <
		    sizeof(path))
			disk = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
		break;
	}
	fclose(f);
	return disk;
}

/* Byte offset on the disk of page 'page' of the file; -1 if unknown. */
static int64_t demo_file_phys(int fd, size_t page)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent ext;
	} q;
	const __u64 off = (__u64)page * demo_page;
	const __u32 unusable = FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC |
			       FIEMAP_EXTENT_UNWRITTEN | FIEMAP_EXTENT_ENCODED |
			       FIEMAP_EXTENT_NOT_ALIGNED |
			       FIEMAP_EXTENT_DATA_INLINE;

	memset(&q, 0, sizeof(q));
	q.fm.fm_start = off;
	q.fm.fm_length = 1;
	q.fm.fm_extent_count = 1;
	if (ioctl(fd, FS_IOC_FIEMAP, &q.fm) || q.fm.fm_mapped_extents != 1)
		return -1;
	if (q.ext.fe_flags & unusable)
		return -1;
	if (off < q.ext.fe_logical || off >= q.ext.fe_logical + q.ext.fe_length)
		return -1;
	return (int64_t)(q.ext.fe_physical + (off - q.ext.fe_logical));
}

/* Read or write one page of the file straight on the disk: 0 or -1. */
static int demo_disk_io(int disk, int fd, size_t page, void *buf, int write_it)
{
	int64_t phys = demo_file_phys(fd, page);
	void *aligned;
	ssize_t n;

	/* O_DIRECT wants an aligned buffer. */
	if (phys < 0 || posix_memalign(&aligned, demo_page, demo_page))
		return -1;
	if (write_it) {
		memcpy(aligned, buf, demo_page);
		n = pwrite(disk, aligned, demo_page, phys);
	} else {
		n = pread(disk, aligned, demo_page, phys);
		memcpy(buf, aligned, demo_page);
	}
	free(aligned);
	return n == (ssize_t)demo_page ? 0 : -1;
}

/* Is page 'page' of fd dirty in the page cache?  "?" if it cannot be told. */
static const char *page_dirty(int fd, size_t page)
{
	struct vmsync_cache_counts c;

	if (vmsync_cache_state(fd, page * demo_page, demo_page, NULL, 0, &c))
		return "?";
	return c.nr_dirty ? "yes" : "no";
}

static void restore_writeback(void)
{
	if (saved_wb[0])
		demo_sysctl_set("vm/dirty_writeback_centisecs", saved_wb);
}

static void die(const char *what)
{
	int err = errno;

	fprintf(stderr, "vmsync-demo: %s: %s\n", what, vmsync_strerror(err));
	restore_writeback();
	exit(1);
}

/* First byte of page 'page' on the disk, or '?' if it cannot be read. */
static char disk_byte(int disk, int fd, size_t page)
{
	unsigned char *buf = malloc(demo_page);
	char c = '?';

	if (buf && !demo_disk_io(disk, fd, page, buf, 0))
		c = (char)buf[0];
	free(buf);
	return c;
}

/* Rewrite one page on the disk behind the page cache. */
static void disk_fill(int disk, int fd, size_t page, char c)
{
	unsigned char *buf = malloc(demo_page);

	if (!buf)
		die("malloc");
	memset(buf, c, demo_page);
	if (demo_disk_io(disk, fd, page, buf, 1))
		die("writing the disk");
	free(buf);
}

static void demo_async(int disk, int fd, char *map)
{
	double t0, t1;
	int waited;

	printf("\n1. MS_ASYNC: does msync start writing a modified page?\n");
	printf("   Background writeback is off: only msync can write it.\n");

	memset(map, 'a', demo_page);
	if (msync(map, demo_page, MS_ASYNC))
		die("msync");
	sleep(2);
	printf("   Linux msync(MS_ASYNC):   2 s later the page is dirty: %s, on disk: '%c' -> %s\n",
	       page_dirty(fd, 0),
	       disk_byte(disk, fd, 0),
	       disk_byte(disk, fd, 0) == 'a' ? "written" : "nothing written");

	memset(map + demo_page, 'b', demo_page);
	t0 = demo_now();
	if (vmsync_msync(map + demo_page, demo_page, MS_ASYNC))
		die("vmsync_msync");
	t1 = demo_now();
	for (waited = 0; waited < 200 && disk_byte(disk, fd, 1) != 'b';
	     waited++)
		usleep(10000);
	printf("   vmsync_msync(MS_ASYNC):  back in %.1f ms; %.2f s later on disk: '%c' -> %s\n",
	       (t1 - t0) * 1e3,
	       demo_now() - t1, disk_byte(disk, fd, 1),
	       disk_byte(disk, fd, 1) == 'b' ? "writeback started"
					     : "nothing written");
	/* Leave page 0 clean for the next part. */
	if (vmsync_msync(map, demo_page, MS_SYNC))
		die("vmsync_msync");
}

static void demo_invalidate(int disk, int fd, char *map)
{
	unsigned long long discarded = 0;

	printf("\n2. MS_INVALIDATE: does msync drop a stale cached page?\n");
	printf("   The mapping shows '%c' '%c'.\n", map[0], map[demo_page]);
	printf("   Both pages are rewritten on the disk, behind the page cache, as 'X' 'Y'.\n");
	disk_fill(disk, fd, 0, 'X');
	disk_fill(disk, fd, 1, 'Y');

	if (msync(map, 2 * demo_page, MS_INVALIDATE))
		die("msync");
	printf("   Linux msync(MS_INVALIDATE):  the mapping shows '%c' '%c' -> %s\n",
	       map[0], map[demo_page],
	       map[0] == 'X' ? "re-read" : "stale cache kept");

	memset(map + 2 * demo_page, 'c', demo_page);
	if (vmsync_msync_counts(map, 3 * demo_page, MS_INVALIDATE, NULL,
				&discarded))
		die("vmsync_msync");
	printf("   vmsync_msync(MS_INVALIDATE): %llu pages dropped; mapping: '%c' '%c' -> %s\n",
	       discarded, map[0], map[demo_page],
	       map[0] == 'X' ? "re-read from the disk" : "stale cache kept");
	printf("   ...and the modified third page was written first: disk has '%c', mapping '%c'\n",
	       disk_byte(disk, fd, 2), map[2 * demo_page]);
}

static void demo_vm_msync(int disk, int fd, char *map)
{
	struct vmsync_vm_msync_result res;
	int to_child[2], from_child[2], status;
	vmsync_kern_return_t kr;
	vmsync_task_t task;
	char *child_map;
	pid_t pid;
	char c;

	printf("\n3. Mach vm_msync, with VM_SYNC_INVALIDATE alone: abandon changes.\n");
	map[0] = 'Z';
	printf("   The mapping now shows '%c'; the disk has '%c'.\n", map[0],
	       disk_byte(disk, fd, 0));
	kr = vmsync_vm_msync(vmsync_task_self(), (uintptr_t)map, demo_page,
			     VMSYNC_VM_SYNC_INVALIDATE, &res);
	printf("   vm_msync(VM_SYNC_INVALIDATE): %s; %llu returned, %llu discarded\n",
	       vmsync_kern_return_string(kr), res.pages_returned,
	       res.pages_discarded);
	printf("   The mapping shows '%c' again; the disk still has '%c'.\n",
	       map[0], disk_byte(disk, fd, 0));

	printf("\n4. Mach vm_msync on another process: a parent syncs its child's mapping.\n");
	if (pipe(to_child) || pipe(from_child))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		child_map = mmap(NULL, demo_page, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, demo_page);
		if (child_map == MAP_FAILED)
			_exit(1);
		child_map[0] = 'k';
		if (write(from_child[1], &child_map, sizeof(child_map)) < 0 ||
		    read(to_child[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	if (read(from_child[0], &child_map, sizeof(child_map)) !=
	    sizeof(child_map))
		die("child");
	printf("   The child (pid %d) wrote 'k' through its own mapping; the disk has '%c'.\n",
	       (int)pid, disk_byte(disk, fd, 1));
	kr = vmsync_task_for_pid(pid, &task);
	printf("   vm_task_for_pid(%d): %s\n", (int)pid,
	       vmsync_kern_return_string(kr));
	if (kr == VMSYNC_KERN_SUCCESS) {
		kr = vmsync_vm_msync(task, (uintptr_t)child_map, demo_page,
				     VMSYNC_VM_SYNC_SYNCHRONOUS, NULL);
		printf("   vm_msync(child, VM_SYNC_SYNCHRONOUS): %s; the disk has '%c'\n",
		       vmsync_kern_return_string(kr), disk_byte(disk, fd, 1));
	}
	if (write(to_child[1], "g", 1) < 0 || waitpid(pid, &status, 0) < 0)
		die("child");
	if (kr == VMSYNC_KERN_SUCCESS) {
		kr = vmsync_vm_msync(task, (uintptr_t)child_map, demo_page,
				     VMSYNC_VM_SYNC_SYNCHRONOUS, NULL);
		printf("   ...and once the child has exited: %s\n",
		       vmsync_kern_return_string(kr));
		vmsync_task_release(task);
	}
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	char path[4200];
	struct utsname u;
	struct vmsync_api api;
	int fd, disk;
	char *map;

	demo_page = (size_t)sysconf(_SC_PAGESIZE);
	if (vmsync_get_api(&api))
		die("/dev/vmsync");
	uname(&u);
	printf("vmsync demo: kernel %s, vmsync ABI version %u, files in %s\n",
	       u.release, api.version, dir);

	snprintf(path, sizeof(path), "%s/vmsync-demo.dat", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 3 * (off_t)demo_page) || fsync(fd))
		die(path);
	/* Allocate the blocks, so the disk copy can be found and read. */
	map = mmap(NULL, 3 * demo_page, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   0);
	if (map == MAP_FAILED)
		die("mmap");
	memset(map, '.', 3 * demo_page);
	if (msync(map, 3 * demo_page, MS_SYNC))
		die("msync");
	disk = demo_disk_open(fd);
	if (disk < 0)
		die("opening the disk under the file");

	if (demo_sysctl_get("vm/dirty_writeback_centisecs", saved_wb,
			    sizeof(saved_wb)) ||
	    demo_sysctl_set("vm/dirty_writeback_centisecs", "0"))
		die("turning background writeback off (are you root?)");

	demo_async(disk, fd, map);
	demo_invalidate(disk, fd, map);
	demo_vm_msync(disk, fd, map);

	restore_writeback();
	munmap(map, 3 * demo_page);
	close(disk);
	close(fd);
	unlink(path);
	printf("\nDone.\n");
	return 0;
}
