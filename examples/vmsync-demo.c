// SPDX-License-Identifier: GPL-2.0
/*
 * vmsync-demo: what vmsync_msync() does that Linux's msync() does not, shown
 * on a file on a real disk.  Run as root (it reads the disk directly and
 * turns background writeback off while it runs) in a directory on a block
 * device file system: vmsync-demo [dir].
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmsync/mach.h"
#include "../selftests/vmsync_test_util.h"

static char saved_wb[32];

static void restore_writeback(void)
{
	if (saved_wb[0])
		vt_sysctl_set("vm/dirty_writeback_centisecs", saved_wb);
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
	unsigned char *buf = malloc(vt_page);
	char c = '?';

	if (buf && !vt_disk_read_page(disk, fd, page, buf))
		c = (char)buf[0];
	free(buf);
	return c;
}

/* Rewrite one page on the disk behind the page cache. */
static void disk_fill(int disk, int fd, size_t page, char c)
{
	unsigned char *buf = malloc(vt_page);

	if (!buf)
		die("malloc");
	memset(buf, c, vt_page);
	if (vt_disk_write_page(disk, fd, page, buf))
		die("writing the disk");
	free(buf);
}

static const char *yes(int b)
{
	return b ? "yes" : "no";
}

static void demo_async(int disk, int fd, char *map)
{
	double t0, t1;
	int waited;

	printf("\n1. MS_ASYNC: does msync start writing a modified page?\n");
	printf("   Background writeback is off: only msync can write it.\n");

	memset(map, 'a', vt_page);
	if (msync(map, vt_page, MS_ASYNC))
		die("msync");
	sleep(2);
	printf("   Linux msync(MS_ASYNC):   2 s later the page is dirty: %s, on disk: '%c' -> %s\n",
	       yes(vt_page_dirty(map)),
	       disk_byte(disk, fd, 0),
	       disk_byte(disk, fd, 0) == 'a' ? "written" : "nothing written");

	memset(map + vt_page, 'b', vt_page);
	t0 = vt_now();
	if (vmsync_msync(map + vt_page, vt_page, MS_ASYNC))
		die("vmsync_msync");
	t1 = vt_now();
	for (waited = 0; waited < 200 && disk_byte(disk, fd, 1) != 'b';
	     waited++)
		usleep(10000);
	printf("   vmsync_msync(MS_ASYNC):  back in %.1f ms; %.2f s later on disk: '%c' -> %s\n",
	       (t1 - t0) * 1e3,
	       vt_now() - t1, disk_byte(disk, fd, 1),
	       disk_byte(disk, fd, 1) == 'b' ? "writeback started"
					     : "nothing written");
	/* Leave page 0 clean for the next part. */
	if (vmsync_msync(map, vt_page, MS_SYNC))
		die("vmsync_msync");
}

static void demo_invalidate(int disk, int fd, char *map)
{
	unsigned long long discarded = 0;

	printf("\n2. MS_INVALIDATE: does msync drop a stale cached page?\n");
	printf("   The mapping shows '%c' '%c'.\n", map[0], map[vt_page]);
	printf("   Both pages are rewritten on the disk, behind the page cache, as 'X' 'Y'.\n");
	disk_fill(disk, fd, 0, 'X');
	disk_fill(disk, fd, 1, 'Y');

	if (msync(map, 2 * vt_page, MS_INVALIDATE))
		die("msync");
	printf("   Linux msync(MS_INVALIDATE):  the mapping shows '%c' '%c' -> %s\n",
	       map[0], map[vt_page],
	       map[0] == 'X' ? "re-read" : "stale cache kept");

	memset(map + 2 * vt_page, 'c', vt_page);
	if (vmsync_msync_counts(map, 3 * vt_page, MS_INVALIDATE, NULL,
				&discarded))
		die("vmsync_msync");
	printf("   vmsync_msync(MS_INVALIDATE): %llu pages dropped; mapping: '%c' '%c' -> %s\n",
	       discarded, map[0], map[vt_page],
	       map[0] == 'X' ? "re-read from the disk" : "stale cache kept");
	printf("   ...and the modified third page was written first: disk has '%c', mapping '%c'\n",
	       disk_byte(disk, fd, 2), map[2 * vt_page]);
}

static void demo_vm_msync(int disk, int fd, char *map)
{
	struct vmsync_vm_msync_result res;
	int to_child[2], from_child[2], status;
	kern_return_t kr;
	vm_task_t task;
	char *child_map;
	pid_t pid;
	char c;

	printf("\n3. Mach vm_msync, with VM_SYNC_INVALIDATE alone: abandon changes.\n");
	map[0] = 'Z';
	printf("   The mapping now shows '%c'; the disk has '%c'.\n", map[0],
	       disk_byte(disk, fd, 0));
	kr = vmsync_vm_msync(vm_task_self(), (vm_address_t)map, vt_page,
			     VM_SYNC_INVALIDATE, &res);
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
		child_map = mmap(NULL, vt_page, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, vt_page);
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
	kr = vm_task_for_pid(pid, &task);
	printf("   vm_task_for_pid(%d): %s\n", (int)pid,
	       vmsync_kern_return_string(kr));
	if (kr == KERN_SUCCESS) {
		kr = vm_msync(task, (vm_address_t)child_map, vt_page,
			      VM_SYNC_SYNCHRONOUS);
		printf("   vm_msync(child, VM_SYNC_SYNCHRONOUS): %s; the disk has '%c'\n",
		       vmsync_kern_return_string(kr), disk_byte(disk, fd, 1));
	}
	if (write(to_child[1], "g", 1) < 0 || waitpid(pid, &status, 0) < 0)
		die("child");
	if (kr == KERN_SUCCESS) {
		kr = vm_msync(task, (vm_address_t)child_map, vt_page,
			      VM_SYNC_SYNCHRONOUS);
		printf("   ...and once the child has exited: %s\n",
		       vmsync_kern_return_string(kr));
		vm_task_release(task);
	}
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : vt_test_dir();
	char path[4200];
	struct utsname u;
	struct vmsync_api api;
	int fd, disk;
	char *map;

	if (vmsync_get_api(&api))
		die("/dev/vmsync");
	uname(&u);
	printf("vmsync demo: kernel %s, vmsync ABI version %u, files in %s\n",
	       u.release, api.version, dir);

	snprintf(path, sizeof(path), "%s/vmsync-demo.dat", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 3 * (off_t)vt_page) || fsync(fd))
		die(path);
	/* Allocate the blocks, so the disk copy can be found and read. */
	map = mmap(NULL, 3 * vt_page, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   0);
	if (map == MAP_FAILED)
		die("mmap");
	memset(map, '.', 3 * vt_page);
	if (msync(map, 3 * vt_page, MS_SYNC))
		die("msync");
	disk = vt_disk_open(fd);
	if (disk < 0)
		die("opening the disk under the file");

	if (vt_sysctl_get("vm/dirty_writeback_centisecs", saved_wb,
			  sizeof(saved_wb)) ||
	    vt_sysctl_set("vm/dirty_writeback_centisecs", "0"))
		die("turning background writeback off (are you root?)");

	demo_async(disk, fd, map);
	demo_invalidate(disk, fd, map);
	demo_vm_msync(disk, fd, map);

	restore_writeback();
	munmap(map, 3 * vt_page);
	close(disk);
	close(fd);
	unlink(path);
	printf("\nDone.\n");
	return 0;
}
