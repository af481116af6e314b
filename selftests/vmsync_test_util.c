// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the vmsync selftests; see vmsync_test_util.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dm-ioctl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>

#include "vmsync.h"
#include "vmsync_test_util.h"

size_t vt_page;

__attribute__((constructor)) static void vt_init(void)
{
	vt_page = (size_t)sysconf(_SC_PAGESIZE);
}

const char *vt_test_dir(void)
{
	const char *dir = getenv("VMSYNC_TEST_DIR");

	return dir && *dir ? dir : ".";
}

unsigned char vt_fill(size_t page, unsigned int generation)
{
	/* Distinct per page and per generation, never 0. */
	return (unsigned char)(0x11 + page * 7 + generation * 0x40) | 1;
}

bool vt_all(const void *buf, size_t len, unsigned char c)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != c)
			return false;
	return true;
}

int vt_create_file(const char *dir, const char *name, size_t npages,
		   bool unlink_it)
{
	char path[4096];
	unsigned char *buf;
	size_t i;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	buf = malloc(vt_page);
	if (!buf)
		goto fail;
	for (i = 0; i < npages; i++) {
		memset(buf, vt_fill(i, 0), vt_page);
		if (pwrite(fd, buf, vt_page, (off_t)(i * vt_page)) !=
		    (ssize_t)vt_page)
			goto fail;
	}
	free(buf);
	buf = NULL;
	/* fsync allocates the blocks, so FIEMAP can name them. */
	if (fsync(fd))
		goto fail;
	/*
	 * Out of the page cache: the pages the tests map are read back from
	 * the disk, as those of any file written earlier would be.
	 */
	if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
		goto fail;
	if (unlink_it)
		unlink(path);
	return fd;
fail:
	free(buf);
	close(fd);
	unlink(path);
	return -1;
}

/* Kernel name ("vda", "dm-0") of the block device holding fd's file system. */
static int vt_dev_name(int fd, char *name, size_t len)
{
	char path[128], line[256];
	struct stat st;
	int ret = -1;
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
		/* A name that does not fit is an error, not a wrong name. */
		ret = (size_t)snprintf(name, len, "%s", line + 8) < len ? 0 : -1;
		break;
	}
	fclose(f);
	return ret;
}

int vt_disk_open(int fd)
{
	char name[64], path[128];

	if (vt_dev_name(fd, name, sizeof(name)))
		return -1;
	snprintf(path, sizeof(path), "/dev/%s", name);
	return open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
}

int64_t vt_file_phys(int fd, off_t off)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent ext;
	} q;
	const __u32 unusable = FIEMAP_EXTENT_UNKNOWN |
			       FIEMAP_EXTENT_DELALLOC |
			       FIEMAP_EXTENT_UNWRITTEN |
			       FIEMAP_EXTENT_ENCODED |
			       FIEMAP_EXTENT_NOT_ALIGNED |
			       FIEMAP_EXTENT_DATA_INLINE;

	memset(&q, 0, sizeof(q));
	q.fm.fm_start = (__u64)off;
	q.fm.fm_length = 1;
	q.fm.fm_extent_count = 1;
	if (ioctl(fd, FS_IOC_FIEMAP, &q.fm) || q.fm.fm_mapped_extents != 1)
		return -1;
	if (q.ext.fe_flags & unusable)
		return -1;
	if ((__u64)off < q.ext.fe_logical ||
	    (__u64)off >= q.ext.fe_logical + q.ext.fe_length)
		return -1;
	return (int64_t)(q.ext.fe_physical + ((__u64)off - q.ext.fe_logical));
}

static int vt_disk_io(int disk, int fd, size_t page, void *buf, bool write)
{
	int64_t phys = vt_file_phys(fd, (off_t)(page * vt_page));
	void *aligned;
	ssize_t n;

	if (phys < 0)
		return -1;
	/* O_DIRECT wants an aligned buffer. */
	if (posix_memalign(&aligned, vt_page, vt_page))
		return -1;
	if (write) {
		memcpy(aligned, buf, vt_page);
		n = pwrite(disk, aligned, vt_page, phys);
	} else {
		n = pread(disk, aligned, vt_page, phys);
		memcpy(buf, aligned, vt_page);
	}
	free(aligned);
	return n == (ssize_t)vt_page ? 0 : -1;
}

int vt_disk_read_page(int disk, int fd, size_t page, void *buf)
{
	return vt_disk_io(disk, fd, page, buf, false);
}

int vt_disk_write_page(int disk, int fd, size_t page, const void *buf)
{
	return vt_disk_io(disk, fd, page, (void *)buf, true);
}

bool vt_disk_page_is(int disk, int fd, size_t page, unsigned char c)
{
	unsigned char *buf = malloc(vt_page);
	bool ok;

	if (!buf)
		return false;
	ok = !vt_disk_read_page(disk, fd, page, buf) &&
	     vt_all(buf, vt_page, c);
	free(buf);
	return ok;
}

uint64_t vt_kpageflags(const void *addr, bool *present)
{
	uint64_t entry = 0, flags = 0;
	off_t off = (off_t)((uintptr_t)addr / vt_page * sizeof(entry));
	int fd;

	*present = false;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (pread(fd, &entry, sizeof(entry), off) != sizeof(entry))
		entry = 0;
	close(fd);
	/* Bit 63: present; bits 0-54: the PFN (zero without CAP_SYS_ADMIN). */
	if (!(entry >> 63) || !(entry & ((1ULL << 55) - 1)))
		return 0;
	fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (pread(fd, &flags, sizeof(flags),
		  (off_t)((entry & ((1ULL << 55) - 1)) * sizeof(flags))) ==
	    sizeof(flags))
		*present = true;
	close(fd);
	return flags;
}

bool vt_page_dirty(const void *addr)
{
	bool present;
	uint64_t flags = vt_kpageflags(addr, &present);

	return present && (flags & (1ULL << KPF_DIRTY));
}

bool vt_page_writeback(const void *addr)
{
	bool present;
	uint64_t flags = vt_kpageflags(addr, &present);

	return present && (flags & (1ULL << KPF_WRITEBACK));
}

bool vt_resident(const void *addr)
{
	unsigned char vec = 0;
	void *page = (void *)((uintptr_t)addr & ~(uintptr_t)(vt_page - 1));

	if (mincore(page, vt_page, &vec))
		return false;
	return vec & 1;
}

int vt_run(const char *fmt, ...)
{
	char line[512], cmd[1024], exe[512], tool[600], *slash;
	size_t word;
	ssize_t n;
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	word = strcspn(line, " ");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(tool, sizeof(tool), "%s/%.*s", exe, (int)word, line);
	if (access(tool, X_OK))
		snprintf(cmd, sizeof(cmd), "%s", line);
	else
		snprintf(cmd, sizeof(cmd), "%s%s", tool, line + word);
	status = system(cmd);
	return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int vt_in_child(int (*fn)(void *arg), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int vt_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

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

int vt_write_file(const char *path, const char *text)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

int vt_sysctl_get(const char *name, char *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	return vt_read_file(path, buf, len);
}

int vt_sysctl_set(const char *name, const char *value)
{
	char path[256];

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	return vt_write_file(path, value);
}

int vt_writeback_off(struct vt_writeback *saved)
{
	if (vt_sysctl_get("vm/dirty_writeback_centisecs", saved->interval,
			  sizeof(saved->interval)) ||
	    vt_sysctl_get("vm/dirty_expire_centisecs", saved->expire,
			  sizeof(saved->expire)))
		return -1;
	if (vt_sysctl_set("vm/dirty_writeback_centisecs", "0") ||
	    vt_sysctl_set("vm/dirty_expire_centisecs", "360000"))
		return -1;
	return 0;
}

void vt_writeback_restore(const struct vt_writeback *saved)
{
	if (saved->interval[0])
		vt_sysctl_set("vm/dirty_writeback_centisecs", saved->interval);
	if (saved->expire[0])
		vt_sysctl_set("vm/dirty_expire_centisecs", saved->expire);
}

long vt_ext4_delalloc_blocks(int fd)
{
	char name[64], path[128], value[32];

	if (vt_dev_name(fd, name, sizeof(name)))
		return -1;
	snprintf(path, sizeof(path),
		 "/sys/fs/ext4/%s/delayed_allocation_blocks", name);
	if (vt_read_file(path, value, sizeof(value)))
		return -1;
	return strtol(value, NULL, 10);
}

#define VT_TRACEFS "/sys/kernel/tracing"

int vt_trace_start(void)
{
	/* One clock for all CPUs, so the trace's order is the real one. */
	if (vt_write_file(VT_TRACEFS "/trace_clock", "global") ||
	    vt_write_file(VT_TRACEFS "/events/vmsync/enable", "1") ||
	    vt_write_file(VT_TRACEFS "/tracing_on", "1"))
		return -1;
	/* Opening the trace for writing with O_TRUNC empties it. */
	return close(open(VT_TRACEFS "/trace", O_WRONLY | O_TRUNC | O_CLOEXEC));
}

int vt_trace_stop(void)
{
	return vt_write_file(VT_TRACEFS "/events/vmsync/enable", "0");
}

int vt_trace_marker(const char *text)
{
	return vt_write_file(VT_TRACEFS "/trace_marker", text);
}

char *vt_trace_read(void)
{
	size_t len = 0, size = 65536;
	char *buf = malloc(size);
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = open(VT_TRACEFS "/trace", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, size - len - 1)) > 0) {
		len += (size_t)n;
		if (size - len < 4096) {
			char *bigger = realloc(buf, size * 2);

			if (!bigger)
				break;
			buf = bigger;
			size *= 2;
		}
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

uint64_t vt_dev_sectors(const char *dev)
{
	uint64_t bytes = 0;
	int fd = open(dev, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (ioctl(fd, BLKGETSIZE64, &bytes))
		bytes = 0;
	close(fd);
	return bytes / 512;
}

/* One device-mapper ioctl; table (may be NULL) is "start len type params;..." */
static int vt_dm_ioctl(unsigned long cmd, const char *name, const char *table,
		       __u32 flags, struct dm_ioctl *out)
{
	size_t size = 16384;
	struct dm_ioctl *io = calloc(1, size);
	char *p, *end, *copy = NULL, *save = NULL, *tgt;
	int fd, ret = -1;

	if (!io)
		return -1;
	io->version[0] = DM_VERSION_MAJOR;
	io->data_size = (__u32)size;
	io->data_start = sizeof(*io);
	io->flags = flags;
	snprintf(io->name, sizeof(io->name), "%s", name);

	p = (char *)io + io->data_start;
	end = (char *)io + size;
	if (table) {
		copy = strdup(table);
		if (!copy)
			goto out;
		for (tgt = strtok_r(copy, ";", &save); tgt;
		     tgt = strtok_r(NULL, ";", &save)) {
			struct dm_target_spec *spec = (void *)p;
			unsigned long long start, len;
			char type[DM_MAX_TYPE_NAME];
			int used = 0;
			size_t plen;

			if (sscanf(tgt, " %llu %llu %15s %n", &start, &len,
				   type, &used) != 3)
				goto out;
			plen = strlen(tgt + used) + 1;
			if (p + sizeof(*spec) + plen + 8 > end)
				goto out;
			spec->sector_start = start;
			spec->length = len;
			snprintf(spec->target_type, sizeof(spec->target_type),
				 "%s", type);
			memcpy(spec + 1, tgt + used, plen);
			/* The next spec starts 8-byte aligned. */
			spec->next = (__u32)((sizeof(*spec) + plen + 7) & ~7UL);
			p += spec->next;
			io->target_count++;
		}
	}

	fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		goto out;
	ret = ioctl(fd, cmd, io);
	close(fd);
	if (!ret && out)
		*out = *io;
out:
	free(copy);
	free(io);
	return ret ? -1 : 0;
}

int vt_dm_create(const char *name, const char *table, char *devpath,
		 size_t len)
{
	struct dm_ioctl res;

	if (vt_dm_ioctl(DM_DEV_CREATE, name, NULL, 0, NULL))
		return -1;
	if (vt_dm_ioctl(DM_TABLE_LOAD, name, table, 0, NULL) ||
	    vt_dm_ioctl(DM_DEV_SUSPEND, name, NULL, 0, &res)) {
		vt_dm_remove(name);
		return -1;
	}
	snprintf(devpath, len, "/dev/dm-%u", minor((dev_t)res.dev));
	/* devtmpfs creates the node asynchronously. */
	for (int i = 0; i < 100 && access(devpath, F_OK); i++)
		usleep(10000);
	return access(devpath, F_OK);
}

int vt_dm_reload(const char *name, const char *table)
{
	/* Load the inactive table, then resume: that swaps it in. */
	if (vt_dm_ioctl(DM_TABLE_LOAD, name, table, 0, NULL))
		return -1;
	return vt_dm_ioctl(DM_DEV_SUSPEND, name, NULL, 0, NULL);
}

int vt_dm_swap(const char *name, const char *table)
{
	if (vt_dm_ioctl(DM_TABLE_LOAD, name, table, 0, NULL))
		return -1;
	return vt_dm_ioctl(DM_DEV_SUSPEND, name, NULL, DM_SKIP_LOCKFS_FLAG,
			   NULL);
}

int vt_dm_remove(const char *name)
{
	return vt_dm_ioctl(DM_DEV_REMOVE, name, NULL, 0, NULL);
}

double vt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int vt_become(uid_t uid)
{
	if (getuid() == uid && geteuid() == uid)
		return 0;
	return setgroups(0, NULL) || setgid(uid) || setuid(uid) ? -1 : 0;
}

int vt_setuid_copy(char *path, size_t len, bool setuid_bit)
{
	char buf[65536];
	ssize_t n;
	int in, out;

	if ((size_t)snprintf(path, len, "%s/vmsync-helper-%d", vt_test_dir(),
			     getpid()) >= len)
		return -1;
	in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	unlink(path);
	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			n = -1;
	close(in);
	/* chmod after chown: chown clears the set-user-ID bit. */
	if (n < 0 || close(out) || chown(path, 0, 0) ||
	    chmod(path, setuid_bit ? 04755 : 0755)) {
		unlink(path);
		return -1;
	}
	return 0;
}

/*
 * The helper modes, for tests that need a process of their own making
 * (exec'd, set-user-ID): "pause FD" says 'r' on FD and waits to be killed;
 * "api" exits with 0 if vmsync_get_api() works, else with its errno.
 */
void vt_helper(int argc, char **argv)
{
	struct vmsync_api api;

	if (argc < 3 || strcmp(argv[1], VT_HELPER_ARG))
		return;
	if (!strcmp(argv[2], "pause") && argc == 4) {
		int fd = atoi(argv[3]);

		if (write(fd, "r", 1) != 1)
			_exit(2);
		close(fd);
		for (;;)
			pause();
	}
	if (!strcmp(argv[2], "api") && argc == 3)
		_exit(vmsync_get_api(&api) ? errno : 0);
	_exit(127);
}
