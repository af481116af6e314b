// SPDX-License-Identifier: GPL-2.0
/*
 * The vmsync command (cli/vmsync.c, man/vmsync.1), run as users run it:
 * its output, exact, and its exit codes, against page-cache states the
 * test makes (pages written, fsync()ed, dropped) and against the module's
 * counters and tracepoints.
 *
 * The static command is "vmsync" next to this program (scripts/check
 * copies build/cli/static/vmsync into the VM), or $VMSYNC_CLI.  Run as
 * root on a file system on a real block device, $VMSYNC_TEST_DIR naming a
 * directory on it; background writeback is turned off while the tests run
 * so that pages stay dirty until the command writes them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmsync.h"
#include "vmsync_test_util.h"

/* The test file: 16 pages of 4 KiB (the exact outputs assume 4 KiB). */
#define NPAGES		16
#define NOBODY		65534
/* The exit codes of man/vmsync.1. */
#define EXIT_FAILED	1
#define EXIT_USAGE	2
#define EXIT_FILES	4

static char cli_path[PATH_MAX];

static const char *cli(void)
{
	const char *env = getenv("VMSYNC_CLI");
	char self[PATH_MAX - 16];
	ssize_t n;

	if (env && *env)
		return env;
	if (cli_path[0])
		return cli_path;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return "./vmsync";
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(cli_path, sizeof(cli_path), "%s/vmsync", self);
	return cli_path;
}

/* What one run of the command printed, and its exit status. */
struct run {
	char out[65536];
	char err[8192];
	int status;	/* exit code, or 128 + signal */
};

static void slurp(FILE *f, char *buf, size_t len)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/*
 * Run the command with the NULL-terminated arguments, as uid (or as we
 * are, uid -1); with a pid_out, leave it running and return at once.
 */
static int run_as(struct run *r, uid_t uid, const char *arg, ...)
{
	const char *argv[32];
	FILE *out = tmpfile(), *err = tmpfile();
	va_list ap;
	int n = 1, st;
	pid_t pid;

	if (!out || !err)
		return -1;
	argv[0] = "vmsync";
	va_start(ap, arg);
	for (argv[n] = arg; n < 31 && argv[n]; argv[n] = va_arg(ap, const char *))
		n++;
	va_end(ap);
	argv[n] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fileno(out), 1);
		dup2(fileno(err), 2);
		if (uid != (uid_t)-1 && vt_become(uid))
			_exit(125);
		execv(cli(), (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	slurp(out, r->out, sizeof(r->out));
	slurp(err, r->err, sizeof(r->err));
	return r->status;
}

#define run(r, ...) run_as(r, (uid_t)-1, __VA_ARGS__, (const char *)NULL)

/* The number after "key": in a JSON document; -1 if there is none. */
static long long json_num(const char *doc, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(doc, pat);
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

FIXTURE(cli) {
	char path[PATH_MAX];
	int fd;
	struct vt_writeback wb;
	char *buf;
};

FIXTURE_SETUP(cli)
{
	ASSERT_EQ(0, access(cli(), X_OK)) TH_LOG("no vmsync command at %s",
						 cli());
	ASSERT_OK(vt_writeback_off(&self->wb));
	snprintf(self->path, sizeof(self->path), "%s/cli-%d", vt_test_dir(),
		 getpid());
	/* NPAGES pages on the disk, none in the page cache. */
	self->fd = vt_create_file(vt_test_dir(), strrchr(self->path, '/') + 1,
				  NPAGES, false);
	ASSERT_LE(0, self->fd);
	self->buf = malloc(vt_page);
	ASSERT_NE(NULL, self->buf);
	memset(self->buf, 'x', vt_page);
}

FIXTURE_TEARDOWN(cli)
{
	free(self->buf);
	close(self->fd);
	unlink(self->path);
	vt_writeback_restore(&self->wb);
}

/* Write whole pages first..last (no read: nothing else comes in). */
static int write_pages(int fd, const char *buf, size_t first, size_t last)
{
	size_t i;

	for (i = first; i <= last; i++)
		if (pwrite(fd, buf, vt_page, (off_t)(i * vt_page)) !=
		    (ssize_t)vt_page)
			return -1;
	return 0;
}

/* `vmsync status --json FILE`, expected to be exactly this. */
static void expect_status(struct __test_metadata *_metadata, const char *path,
			  unsigned int resident, unsigned int dirty,
			  unsigned int writeback)
{
	struct run r;
	char want[8192];

	static const char fmt[] =
		"{\"page_size\":%zu,\"files\":[{\"file\":\"%s\",\"size\":%zu,%s%u,%s%u,%s%u}]}\n";

	snprintf(want, sizeof(want), fmt, vt_page, path, NPAGES * vt_page,
		 "\"offset\":0,\"length\":65536,\"pages\":16,\"resident\":",
		 resident, "\"dirty\":", dirty, "\"writeback\":", writeback);
	ASSERT_EQ(0, run(&r, "status", "--json", path)) TH_LOG("%s", r.err);
	EXPECT_STREQ(want, r.out);
}

/* Counts follow the page cache: written, fsync()ed, dropped. */
TEST_F(cli, status_counts)
{
	expect_status(_metadata, self->path, 0, 0, 0);
	ASSERT_OK(write_pages(self->fd, self->buf, 0, 7));
	expect_status(_metadata, self->path, 8, 8, 0);
	ASSERT_OK(fsync(self->fd));
	expect_status(_metadata, self->path, 8, 0, 0);
	ASSERT_OK(posix_fadvise(self->fd, 0, 0, POSIX_FADV_DONTNEED));
	expect_status(_metadata, self->path, 0, 0, 0);
}

/* The table, with human sizes, of a range given in human sizes. */
TEST_F(cli, status_table_range)
{
	struct run r;
	char want[8192];

	ASSERT_OK(write_pages(self->fd, self->buf, 0, 7));
	/* Bytes 4K to 12K: pages 1 and 2, both dirty. */
	ASSERT_EQ(0, run(&r, "status", "--range", "4K:8K", self->path));
	snprintf(want, sizeof(want),
		 "   PAGES      RES    DIRTY WRITEBACK     SIZE FILE\n"
		 "       2       8K       8K        0B      64K %s\n",
		 self->path);
	if (vt_page == 4096)
		EXPECT_STREQ(want, r.out);
	ASSERT_EQ(0, run(&r, "status", "--bytes", "--range=4096:8192",
			 self->path));
	snprintf(want, sizeof(want),
		 "   PAGES      RES    DIRTY WRITEBACK     SIZE FILE\n"
		 "       2     8192     8192         0    65536 %s\n",
		 self->path);
	if (vt_page == 4096)
		EXPECT_STREQ(want, r.out);
	/* JSON: the range, page-aligned. */
	ASSERT_EQ(0, run(&r, "status", "--json", "--range", "4K:8K",
			 self->path));
	EXPECT_EQ(4096, json_num(r.out, "offset"));
	EXPECT_EQ(8192, json_num(r.out, "length"));
	EXPECT_EQ(2, json_num(r.out, "pages"));
	EXPECT_EQ(2, json_num(r.out, "resident"));
	EXPECT_EQ(2, json_num(r.out, "dirty"));
}

/* The map of a known pattern: clean, dirty, partly resident, absent. */
TEST_F(cli, status_map)
{
	struct run r;
	char want[8192];

	/* Pages 0, 1 and 4 clean, 2 dirty, the others not resident. */
	ASSERT_OK(write_pages(self->fd, self->buf, 0, 1));
	ASSERT_OK(write_pages(self->fd, self->buf, 4, 4));
	ASSERT_OK(fsync(self->fd));
	ASSERT_OK(write_pages(self->fd, self->buf, 2, 2));
	/* 8 regions of 2 pages. */
	ASSERT_EQ(0, run(&r, "status", "--map", "--regions", "8", "--json",
			 self->path));
	EXPECT_NE(NULL, strstr(r.out, "\"map\":\"oD.     \"}")) TH_LOG("%s", r.out);
	/* One region a page at most. */
	ASSERT_EQ(0, run(&r, "status", "--map", self->path));
	snprintf(want, sizeof(want),
		 "   PAGES      RES    DIRTY WRITEBACK     SIZE FILE\n"
		 "       4      16K       4K        0B      64K %s\n"
		 "         [ooD o           ]\n", self->path);
	EXPECT_STREQ(want, r.out);
}

/* sync: the dirty pages written, nothing discarded; none dirty after. */
TEST_F(cli, sync_counts)
{
	struct run r;
	char want[8192];

	ASSERT_OK(write_pages(self->fd, self->buf, 0, 7));
	ASSERT_EQ(0, run(&r, "sync", "--json", self->path)) TH_LOG("%s", r.err);
	snprintf(want, sizeof(want), "{\"file\":\"%s\",%s,%s}\n", self->path,
		 "\"offset\":0,\"length\":65536,\"call\":\"msync\",\"flags\":\"sync\"",
		 "\"errno\":0,\"page_size\":4096,\"written\":8,\"discarded\":0");
	EXPECT_STREQ(want, r.out);
	expect_status(_metadata, self->path, 8, 0, 0);
	/* Human output; nothing left to write. */
	ASSERT_EQ(0, run(&r, "sync", self->path));
	EXPECT_STREQ("written: 0 pages (0B)\ndiscarded: 0 pages (0B)\n", r.out);
	ASSERT_OK(write_pages(self->fd, self->buf, 1, 2));
	ASSERT_EQ(0, run(&r, "sync", "--range", "4K:4K", self->path));
	if (vt_page == 4096)
		EXPECT_STREQ("written: 1 pages (4K)\ndiscarded: 0 pages (0B)\n",
			     r.out);
	expect_status(_metadata, self->path, 8, 1, 0);
}

/*
 * sync --async starts the writes: with background writeback off, the
 * pages come clean only through it.
 */
TEST_F(cli, sync_async)
{
	struct run r;
	double t0;

	ASSERT_OK(write_pages(self->fd, self->buf, 0, 7));
	ASSERT_EQ(0, run(&r, "sync", "--async", "--json", self->path));
	EXPECT_EQ(8, json_num(r.out, "written")) TH_LOG("%s", r.out);
	EXPECT_NE(NULL, strstr(r.out, "\"flags\":\"async\""));
	/* Right away: none dirty (under writeback or written). */
	ASSERT_EQ(0, run(&r, "status", "--json", self->path));
	EXPECT_EQ(0, json_num(r.out, "dirty")) TH_LOG("%s", r.out);
	EXPECT_EQ(8, json_num(r.out, "resident"));
	t0 = vt_now();
	do {
		ASSERT_EQ(0, run(&r, "status", "--json", self->path));
	} while (json_num(r.out, "writeback") != 0 && vt_now() - t0 < 30);
	expect_status(_metadata, self->path, 8, 0, 0);
}

/* sync --invalidate writes and drops: nothing resident after. */
TEST_F(cli, sync_invalidate)
{
	struct run r;

	ASSERT_OK(write_pages(self->fd, self->buf, 0, 7));
	ASSERT_EQ(0, run(&r, "sync", "--invalidate", "--json", self->path));
	EXPECT_EQ(8, json_num(r.out, "written")) TH_LOG("%s", r.out);
	EXPECT_EQ(8, json_num(r.out, "discarded"));
	EXPECT_NE(NULL, strstr(r.out, "\"flags\":\"sync,invalidate\""));
	expect_status(_metadata, self->path, 0, 0, 0);
}

/* The Mach form on the file: vm_msync through a mapping of our own. */
TEST_F(cli, sync_vm_msync)
{
	struct run r;

	ASSERT_OK(write_pages(self->fd, self->buf, 0, 3));
	ASSERT_EQ(0, run(&r, "sync", "--vm-sync", "sync,invalidate", self->path));
	EXPECT_STREQ("kr: KERN_SUCCESS (0, (os/kern) successful)\nwritten: 4 pages (16K)\n"
		     "discarded: 4 pages (16K)\n", r.out);
	expect_status(_metadata, self->path, 0, 0, 0);
	ASSERT_EQ(EXIT_USAGE, run(&r, "sync", "--vm-sync", "bogus", self->path));
}

/* The Mach form on another process's mapping, through a task handle. */
TEST_F(cli, sync_pid)
{
	struct run r;
	char addr[32], pid_s[16], size[32];
	int to[2], from[2];
	unsigned long a = 0;
	pid_t pid;

	ASSERT_OK(pipe(to));
	ASSERT_OK(pipe(from));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *p = mmap(NULL, NPAGES * vt_page, PROT_READ | PROT_WRITE,
			       MAP_SHARED, self->fd, 0);
		char c;

		if (p == MAP_FAILED)
			_exit(1);
		memset(p + 2 * vt_page, 'y', 3 * vt_page);
		a = (unsigned long)p;
		if (write(from[1], &a, sizeof(a)) != sizeof(a))
			_exit(1);
		/* Until the parent closes its end. */
		close(to[1]);
		while (read(to[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(to[0]);
	close(from[1]);
	ASSERT_EQ(sizeof(a), read(from[0], &a, sizeof(a)));
	snprintf(addr, sizeof(addr), "%#lx", a);
	snprintf(pid_s, sizeof(pid_s), "%d", pid);
	snprintf(size, sizeof(size), "%zu", NPAGES * vt_page);
	run(&r, "sync", "--pid", pid_s, "--address", addr, "--size", size,
	    "--json");
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_EQ(0, json_num(r.out, "kr")) TH_LOG("%s", r.out);
	EXPECT_NE(NULL, strstr(r.out, "\"kr_name\":\"KERN_SUCCESS\""));
	EXPECT_EQ(3, json_num(r.out, "written"));
	EXPECT_EQ(0, json_num(r.out, "discarded"));
	EXPECT_EQ((long long)a, json_num(r.out, "address"));
	/* (The faults read ahead: how many are resident is the kernel's.) */
	ASSERT_EQ(0, run(&r, "status", "--json", self->path));
	EXPECT_EQ(0, json_num(r.out, "dirty")) TH_LOG("%s", r.out);
	close(to[1]);
	close(from[0]);
	EXPECT_EQ(pid, waitpid(pid, NULL, 0));
	/* No such process: the kern_return_t's name, exit 1. */
	run(&r, "sync", "--pid", pid_s, "--address", addr, "--size", size);
	EXPECT_EQ(EXIT_FAILED, r.status);
	EXPECT_NE(NULL, strstr(r.err, "vmsync: task for pid")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "KERN_INVALID_ARGUMENT"));
	/* --pid needs --address and --size. */
	EXPECT_EQ(EXIT_USAGE, run(&r, "sync", "--pid", pid_s));
}

/* Exit codes: missing file, bad usage, a file the caller cannot write. */
TEST_F(cli, exit_codes)
{
	char missing[PATH_MAX + 8];
	struct run r;

	snprintf(missing, sizeof(missing), "%s.missing", self->path);
	EXPECT_EQ(EXIT_FILES, run(&r, "status", missing));
	EXPECT_NE(NULL, strstr(r.err, "vmsync: ")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "No such file or directory"));
	EXPECT_EQ(EXIT_FILES, run(&r, "sync", missing));
	/* One bad file of two: the other is still reported. */
	EXPECT_EQ(EXIT_FILES, run(&r, "status", "--json", missing, self->path));
	EXPECT_EQ(NPAGES, json_num(r.out, "pages")) TH_LOG("%s", r.out);
	EXPECT_EQ(ENOENT, json_num(r.out, "errno"));

	EXPECT_EQ(EXIT_USAGE, run(&r, "status"));
	EXPECT_NE(NULL, strstr(r.err, "vmsync: no file named"));
	EXPECT_EQ(EXIT_USAGE, run(&r, "sync", "--bogus", self->path));
	EXPECT_EQ(EXIT_USAGE, run(&r, "frobnicate"));
	EXPECT_EQ(EXIT_USAGE, run(&r, "status", "--range", "4Q:1", self->path));
	EXPECT_EQ(EXIT_USAGE, run(&r, "sync", self->path, self->path));
	EXPECT_EQ(EXIT_USAGE, run_as(&r, (uid_t)-1, (const char *)NULL));

	/* Root's file, 0644: nobody can read it, not write it: EPERM. */
	ASSERT_OK(fchmod(self->fd, 0644));
	ASSERT_OK(write_pages(self->fd, self->buf, 0, 0));
	EXPECT_EQ(EXIT_FILES, run_as(&r, NOBODY, "status", self->path, (const char *)NULL));
	EXPECT_NE(NULL, strstr(r.err, "Operation not permitted")) TH_LOG("%s", r.err);
	EXPECT_EQ(0, run_as(&r, (uid_t)-1, "status", self->path, (const char *)NULL));

	/*
	 * A FIFO only readable to the caller: sync falls back to O_RDONLY,
	 * which must not wait for a writer, and refuses it.
	 */
	snprintf(missing, sizeof(missing), "%s.fifo", self->path);
	ASSERT_OK(mkfifo(missing, 0444));
	EXPECT_EQ(EXIT_FILES, run_as(&r, NOBODY, "sync", missing, (const char *)NULL));
	EXPECT_NE(NULL, strstr(r.err, "not a regular file")) TH_LOG("%s", r.err);
	EXPECT_EQ(EXIT_FILES, run_as(&r, NOBODY, "status", missing, (const char *)NULL));
	unlink(missing);
}

/* help and --version. */
TEST(help)
{
	struct run a, b;

	ASSERT_EQ(0, run(&a, "help", "sync"));
	ASSERT_EQ(0, run(&b, "sync", "--help"));
	EXPECT_STREQ(a.out, b.out);
	EXPECT_EQ(0, strncmp(a.out, "Usage: vmsync sync FILE", 23));
	ASSERT_EQ(0, run(&a, "status", "-h"));
	EXPECT_EQ(0, strncmp(a.out, "Usage: vmsync status FILE...", 28));
	ASSERT_EQ(0, run(&a, "--version"));
	EXPECT_STREQ("vmsync " VMSYNC_TEST_VERSION " (libvmsync "
		     VMSYNC_TEST_VERSION ")\n", a.out);
	EXPECT_EQ(EXIT_USAGE, run(&a, "help", "frobnicate"));
}

/* stats: the fields, and the calls counter going up by one a call. */
TEST(stats)
{
	static const char *const keys[] = {
		"api_version", "calls", "requests", "requests_pending",
		"pages_returned", "pages_discarded", "precious_returned",
		"errors", "aborted",
	};
	struct vmsync_api api = { .api = VMSYNC_API };
	struct run r;
	long long calls;
	char rel[64];
	size_t i;
	void *p;

	ASSERT_OK(vmsync_get_api(&api));
	ASSERT_EQ(0, run(&r, "stats", "--json"));
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		EXPECT_LE(0, json_num(r.out, keys[i])) TH_LOG("%s", r.out);
	EXPECT_EQ(api.version, json_num(r.out, "api_version"));
	snprintf(rel, sizeof(rel), "\"module_release\":\"%u.%u.%u\"",
		 VMSYNC_RELEASE_MAJOR(api.release),
		 VMSYNC_RELEASE_MINOR(api.release),
		 VMSYNC_RELEASE_PATCH(api.release));
	EXPECT_NE(NULL, strstr(r.out, rel)) TH_LOG("%s", r.out);
	EXPECT_NE(NULL, strstr(r.out, "\"features\":[\"msync\",\"async_starts_io\""));
	calls = json_num(r.out, "calls");

	p = mmap(NULL, vt_page, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_OK(vmsync_msync(p, vt_page, MS_SYNC));
	munmap(p, vt_page);
	ASSERT_EQ(0, run(&r, "stats", "--json"));
	EXPECT_EQ(calls + 1, json_num(r.out, "calls"));
	ASSERT_EQ(0, run(&r, "stats"));
	EXPECT_NE(NULL, strstr(r.out, "\ncalls:             ")) TH_LOG("%s", r.out);
	EXPECT_NE(NULL, strstr(r.out, "\napi version:       "));
}

#define TRACEFS		"/sys/kernel/tracing"

/*
 * Run "vmsync trace ARGS..." with its output into out, making msync calls
 * on a mapping of fd every 50 ms until it exits (killed after 60 s).  Its
 * wait status, or -1.
 */
static int trace_while_syncing(int fd, char *out, size_t len, ...)
{
	const char *argv[8] = { "vmsync", "trace" };
	FILE *f = tmpfile();
	int st = -1, argc = 2;
	const char *arg;
	va_list ap;
	double t0;
	pid_t pid;
	char *p;

	va_start(ap, len);
	while ((arg = va_arg(ap, const char *)) && argc < 7)
		argv[argc++] = arg;
	va_end(ap);
	if (!f)
		return -1;
	p = mmap(NULL, NPAGES * vt_page, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	if (p == MAP_FAILED) {
		fclose(f);
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		dup2(fileno(f), 1);
		execv(cli(), (char **)argv);
		_exit(127);
	}
	t0 = vt_now();
	while (pid > 0 && waitpid(pid, &st, WNOHANG) == 0) {
		if (vt_now() - t0 > 60) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			break;
		}
		p[0]++;
		vmsync_msync(p, NPAGES * vt_page, MS_SYNC);
		usleep(50000);
	}
	munmap(p, NPAGES * vt_page);
	slurp(f, out, len);
	return pid > 0 ? st : -1;
}

/*
 * trace -n 3: three lines, each one of the module's events, while this
 * process makes msync calls; the events' enable state is put back.
 */
TEST_F(cli, trace)
{
	char before[8] = "", after[8] = "", out[65536];
	char *line, *save = NULL;
	int st, lines = 0;

	ASSERT_OK(vt_read_file(TRACEFS "/events/vmsync/vmsync_call_done/enable",
			       before, sizeof(before)));
	st = trace_while_syncing(self->fd, out, sizeof(out), "-n", "3",
				 (const char *)NULL);
	ASSERT_TRUE(st != -1 && WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		lines++;
		EXPECT_NE(NULL, strstr(line, ": vmsync_")) TH_LOG("%s", line);
	}
	EXPECT_EQ(3, lines);
	ASSERT_OK(vt_read_file(TRACEFS "/events/vmsync/vmsync_call_done/enable",
			       after, sizeof(after)));
	EXPECT_STREQ(before, after);
}

/* msync calls on a mapping of fd, every 20 ms, until killed. */
static void noise(int fd)
{
	char *p = mmap(NULL, vt_page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		_exit(1);
	for (;;) {
		p[1]++;
		vmsync_msync(p, vt_page, MS_SYNC);
		usleep(20000);
	}
}

/*
 * trace --pid: only the lines of the thread named, while another process
 * makes calls too.
 */
TEST_F(cli, trace_pid)
{
	char pid_s[16], want[32], out[65536];
	char *line, *save = NULL;
	int st, lines = 0;
	pid_t other;

	other = fork();
	ASSERT_LE(0, other);
	if (other == 0)
		noise(self->fd);
	snprintf(pid_s, sizeof(pid_s), "%d", getpid());
	/* "comm-PID" ends the field before "[cpu]". */
	snprintf(want, sizeof(want), "-%d ", getpid());
	st = trace_while_syncing(self->fd, out, sizeof(out), "--pid", pid_s,
				 "-n", "4", (const char *)NULL);
	kill(other, SIGKILL);
	waitpid(other, NULL, 0);
	ASSERT_TRUE(st != -1 && WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *br = strstr(line, " [");

		lines++;
		ASSERT_NE(NULL, br) TH_LOG("%s", line);
		br[1] = '\0';
		EXPECT_NE(NULL, strstr(line, want)) TH_LOG("%s, not %s", line, want);
	}
	EXPECT_EQ(4, lines);
}

/* trace ends on SIGINT, exit 0, with the enable state put back. */
TEST(trace_sigint)
{
	char before[8] = "", after[8] = "";
	pid_t pid;
	int st;

	ASSERT_OK(vt_read_file(TRACEFS "/events/vmsync/enable", before,
			       sizeof(before)));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execl(cli(), "vmsync", "trace", (char *)NULL);
		_exit(127);
	}
	usleep(500000);
	kill(pid, SIGINT);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	ASSERT_OK(vt_read_file(TRACEFS "/events/vmsync/enable", after,
			       sizeof(after)));
	EXPECT_STREQ(before, after);
}

TEST_HARNESS_MAIN
