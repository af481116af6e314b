// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmsync(1): look at and act on a file's cached pages through libvmsync,
 * in the spirit of util-linux fincore and vmtouch.
 *
 *   vmsync status FILE... [--range OFF:LEN] [--map [--regions N]]
 *   vmsync sync FILE [--range OFF:LEN] [--async] [--invalidate]
 *   vmsync sync FILE --vm-sync FLAGS [--range OFF:LEN]
 *   vmsync sync --pid PID --address A --size S [--vm-sync FLAGS]
 *   vmsync stats
 *   vmsync trace [--pid PID] [-n N]
 *
 * Common options: --json, --bytes, --help; vmsync --version.  The JSON is
 * written by the few functions below (output only, so no library is
 * needed).  Exit codes: see EXIT_* and man/vmsync.1.
 *
 * Only the public API of <vmsync.h> is used.
 */
/* Files over 2 GiB in 32-bit builds too. */
#define _FILE_OFFSET_BITS 64

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <vmsync.h>

#ifndef VMSYNC_VERSION
#define VMSYNC_VERSION "unknown"
#endif

/* Exit codes (man/vmsync.1, EXIT STATUS). */
#define EXIT_OK		0	/* success */
#define EXIT_FAILED	1	/* the operation failed */
#define EXIT_USAGE	2	/* bad command line */
#define EXIT_NOMODULE	3	/* the module is not loaded */
#define EXIT_FILES	4	/* some file could not be opened or examined */

/* Status: pages per VMSYNC_IOC_CACHE_STATE call; sync: bytes per mapping. */
#define STATE_CHUNK_PAGES	65536
#define SYNC_CHUNK_BYTES	(1UL << 30)
/* The progress bar shows for runs over this many bytes, on a tty. */
#define PROGRESS_MIN_BYTES	(1ULL << 30)
#define DEFAULT_REGIONS		64
#define MAX_REGIONS		65536

static const char *prog = "vmsync";
static bool opt_json;
static bool opt_bytes;
static size_t page_size;

/* --- messages ------------------------------------------------------------ */

static void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void err_msg(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The module is not there: the library's own words, and EXIT_NOMODULE. */
static int no_module(void)
{
	const char *m = vmsync_strerror(ENODEV);

	/* The library's text may name the command already. */
	if (!strncmp(m, "vmsync: ", 8))
		m += 8;
	err_msg("%s", m);
	return EXIT_NOMODULE;
}

/* Is the module there?  0, or an exit code after a message. */
static int need_module(void)
{
	int e;

	if (vmsync_fd() >= 0)
		return 0;
	e = errno;
	if (e == ENODEV)
		return no_module();
	err_msg("%s: %s", VMSYNC_DEVICE_PATH, vmsync_strerror(e));
	return EXIT_FAILED;
}

/* --- sizes ------------------------------------------------------------- */

/*
 * "4096", "4K", "4k", "4KiB", "1.5M" is not taken (whole numbers only),
 * "0x1000": a byte count, suffixes K, M, G, T, P, E powers of 1024, with
 * an optional "iB" or "B".  0, or -1 for a malformed or too large value.
 */
static int parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGTPE";
	unsigned long long v;
	const char *u;
	char *end;
	int shift = 0;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	if (*end) {
		u = strchr(units, end[0] >= 'a' && end[0] <= 'z' ?
			   end[0] - 'a' + 'A' : end[0]);
		if (!u || !*u) {
			if (strcmp(end, "B") && strcmp(end, "b"))
				return -1;
		} else {
			shift = 10 * (int)(u - units + 1);
			end++;
			if (*end && strcmp(end, "iB") && strcmp(end, "B"))
				return -1;
		}
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/*
 * bytes as fincore prints it: "0B", "512B", "4K", "1.5M" (one decimal,
 * rounded, none when it is .0); or the raw number with --bytes.
 */
static const char *fmt_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "BKMGTPE";
	uint64_t whole = bytes, frac = 0, div = 1;
	int i = 0;

	if (opt_bytes) {
		snprintf(buf, len, "%" PRIu64, bytes);
		return buf;
	}
	while (whole >= 1024 && i < 6) {
		whole /= 1024;
		div *= 1024;
		i++;
	}
	if (i) {
		/* Tenths, rounded to nearest. */
		uint64_t rem = bytes - whole * div;

		frac = (rem * 10 + div / 2) / div;
		if (frac == 10) {
			whole++;
			frac = 0;
		}
	}
	if (frac)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "%c", whole, frac,
			 units[i]);
	else
		snprintf(buf, len, "%" PRIu64 "%c", whole, units[i]);
	return buf;
}

/* "OFF:LEN", "OFF:" or "OFF" (LEN 0: to the end of the file). */
static int parse_range(const char *s, uint64_t *off, uint64_t *len)
{
	char buf[128];
	char *colon;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	*len = 0;
	if (colon) {
		*colon = '\0';
		if (colon[1] && parse_size(colon + 1, len))
			return -1;
	}
	return parse_size(buf, off);
}

/* --- JSON ---------------------------------------------------------------- */

/*
 * s as a JSON string: quotes, backslashes and control characters escaped;
 * bytes that are not UTF-8 (file names need not be) become U+FFFD.
 */
static void json_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	while (*p) {
		unsigned char c = *p;
		int n = 0, i;

		if (c == '"' || c == '\\') {
			printf("\\%c", c);
			p++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			switch (c) {
			case '\n': fputs("\\n", stdout); break;
			case '\t': fputs("\\t", stdout); break;
			case '\r': fputs("\\r", stdout); break;
			case '\b': fputs("\\b", stdout); break;
			case '\f': fputs("\\f", stdout); break;
			default: printf("\\u%04x", c); break;
			}
			p++;
			continue;
		}
		if (c < 0x80) {
			putchar(c);
			p++;
			continue;
		}
		/* A whole, shortest-form UTF-8 sequence, or U+FFFD. */
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		for (i = 1; n && i <= n; i++)
			if ((p[i] & 0xc0) != 0x80)
				n = 0;
		if (n == 2 && ((c == 0xe0 && p[1] < 0xa0) ||
			       (c == 0xed && p[1] >= 0xa0)))
			n = 0;	/* overlong, or a surrogate */
		if (n == 3 && ((c == 0xf0 && p[1] < 0x90) ||
			       (c == 0xf4 && p[1] >= 0x90)))
			n = 0;	/* overlong, or past U+10FFFF */
		if (!n) {
			fputs("\\ufffd", stdout);
			p++;
			continue;
		}
		fwrite(p, 1, (size_t)n + 1, stdout);
		p += n + 1;
	}
	putchar('"');
}

/* "name": of an object member, with the comma the member before needs. */
static void json_key(bool *first, const char *name)
{
	if (!*first)
		putchar(',');
	*first = false;
	json_str(name);
	putchar(':');
}

static void json_u64(bool *first, const char *name, uint64_t v)
{
	json_key(first, name);
	printf("%" PRIu64, v);
}

static void json_int(bool *first, const char *name, long long v)
{
	json_key(first, name);
	printf("%lld", v);
}

static void json_string(bool *first, const char *name, const char *v)
{
	json_key(first, name);
	json_str(v);
}

/* --- progress ------------------------------------------------------------ */

struct progress {
	bool on;
	const char *what;
	uint64_t total;
	int shown;	/* percent last drawn, -1 for none */
};

static void progress_start(struct progress *pg, const char *what,
			   uint64_t total)
{
	pg->on = total > PROGRESS_MIN_BYTES && isatty(STDERR_FILENO);
	pg->what = what;
	pg->total = total;
	pg->shown = -1;
}

static void progress_update(struct progress *pg, uint64_t done)
{
	int pct, bar, i;

	if (!pg->on)
		return;
	pct = (int)(done * 100 / pg->total);
	if (pct == pg->shown)
		return;
	pg->shown = pct;
	bar = pct * 40 / 100;
	fprintf(stderr, "\r%s: %s [", prog, pg->what);
	for (i = 0; i < 40; i++)
		fputc(i < bar ? '#' : ' ', stderr);
	fprintf(stderr, "] %3d%%", pct);
}

static void progress_end(const struct progress *pg)
{
	if (pg->on && pg->shown >= 0)
		fputc('\n', stderr);
}

/* --- help ---------------------------------------------------------------- */

static const char usage_main[] =
"Usage: vmsync COMMAND [OPTION]... [ARG]...\n"
"Look at and act on the page cache of files, through vmsync.ko.\n"
"\n"
"Commands:\n"
"  status FILE...      resident, dirty and under-writeback pages\n"
"  sync FILE           msync a file (or another process's mapping)\n"
"  stats               the module's counters, API and release\n"
"  trace               the module's tracepoints, live\n"
"  help [COMMAND]      this text, or a command's\n"
"\n"
"Common options: --json, --bytes, -h/--help; vmsync --version.\n"
"Sizes take K, M, G, T suffixes (powers of 1024): 4K, 1M, 512.\n"
"Exit status: 0 success, 1 operation failed, 2 usage error,\n"
"3 module not loaded, 4 a file could not be opened or examined.\n"
"See vmsync(1).\n";

static const char usage_status[] =
"Usage: vmsync status FILE... [--range OFF:LEN] [--map [--regions N]]\n"
"Resident, dirty and under-writeback pages of each FILE.\n"
"\n"
"  -r, --range OFF:LEN  only bytes OFF to OFF+LEN (LEN 0 or none: to EOF)\n"
"  -m, --map            a map of the range, one character per region:\n"
"                         ' ' none resident   '.' some resident\n"
"                         'o' all resident, clean\n"
"                         'D' some dirty      'W' some under writeback\n"
"                       (W wins over D, D over o and .)\n"
"  -R, --regions N      regions in the map (default 64; at most one a page)\n"
"  -b, --bytes          sizes in bytes\n"
"  -J, --json           one JSON document\n"
"  -h, --help           this text\n"
"The caller must be able to write each FILE (the kernel's rule).\n";

static const char usage_sync[] =
"Usage: vmsync sync FILE [--range OFF:LEN] [--async] [--invalidate]\n"
"       vmsync sync FILE --vm-sync FLAGS [--range OFF:LEN]\n"
"       vmsync sync --pid PID --address ADDR --size SIZE [--vm-sync FLAGS]\n"
"Write FILE's modified pages (msync MS_SYNC through the module) and print\n"
"the pages written and discarded.\n"
"\n"
"  -r, --range OFF:LEN  only bytes OFF to OFF+LEN (LEN 0 or none: to EOF)\n"
"  -a, --async          MS_ASYNC: start the writes, do not wait\n"
"  -i, --invalidate     MS_INVALIDATE: then drop the range's cached pages\n"
"  -V, --vm-sync FLAGS  Mach vm_msync with FLAGS, comma-separated: sync,\n"
"                       async, invalidate (default for --pid: sync)\n"
"  -p, --pid PID        sync process PID's mapping, through a task handle\n"
"  -A, --address ADDR   its start (0x... for hexadecimal)\n"
"  -s, --size SIZE      its length\n"
"  -b, --bytes          sizes in bytes\n"
"  -J, --json           one JSON document\n"
"  -h, --help           this text\n";

static const char usage_stats[] =
"Usage: vmsync stats [--json]\n"
"The module's counters since it was loaded, its API version, features\n"
"and release, and the version of this command's library.\n"
"\n"
"  -J, --json           one JSON document\n"
"  -h, --help           this text\n";

static const char usage_trace[] =
"Usage: vmsync trace [--pid PID] [-n N] [--json]\n"
"The module's tracepoints, one line per protocol step, until SIGINT or\n"
"SIGTERM (or N lines).  Needs tracefs (root).  The events' enable state\n"
"is put back on exit.\n"
"\n"
"  -p, --pid PID        only events recorded in thread PID\n"
"  -n, --count N        stop after N lines\n"
"  -J, --json           one JSON document, an array of events\n"
"  -h, --help           this text\n";

static int usage_of(const char *cmd, FILE *f)
{
	const char *text = usage_main;

	if (cmd && !strcmp(cmd, "status"))
		text = usage_status;
	else if (cmd && !strcmp(cmd, "sync"))
		text = usage_sync;
	else if (cmd && !strcmp(cmd, "stats"))
		text = usage_stats;
	else if (cmd && !strcmp(cmd, "trace"))
		text = usage_trace;
	else if (cmd) {
		fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	fputs(text, f);
	return EXIT_OK;
}

static int bad_usage(const char *cmd, const char *fmt, const char *arg)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'vmsync help%s%s'.\n", cmd ? " " : "",
		cmd ? cmd : "");
	return EXIT_USAGE;
}

/* --- status -------------------------------------------------------------- */

struct file_state {
	uint64_t offset, length, size;	/* bytes; offset page-aligned */
	struct vmsync_cache_counts c;
	char *map;			/* regions + 1 bytes, or NULL */
};

/* One map character for a region's page counts (see usage_status). */
static char map_char(uint64_t pages, uint64_t res, uint64_t dirty,
		     uint64_t wb)
{
	if (wb)
		return 'W';
	if (dirty)
		return 'D';
	if (res && res == pages)
		return 'o';
	if (res)
		return '.';
	return ' ';
}

/*
 * The region of page, of npages pages in nreg regions: the first
 * npages % nreg regions have one page more than the others.
 */
static unsigned int region_of(uint64_t page, uint64_t npages,
			      unsigned int nreg)
{
	uint64_t q = npages / nreg, rem = npages % nreg;

	if (page < rem * (q + 1))
		return (unsigned int)(page / (q + 1));
	return (unsigned int)(rem + (page - rem * (q + 1)) / q);
}

/*
 * Fill fs for path.  0, or an errno with *what naming the step that
 * failed.
 */
static int examine(const char *path, uint64_t off, uint64_t len, bool map,
		   unsigned int regions, struct file_state *fs,
		   const char **what)
{
	unsigned char *vec = NULL;
	uint64_t *rres = NULL, *rdirty = NULL, *rwb = NULL, *rpages = NULL;
	uint64_t first, npages, done = 0, end;
	struct progress pg;
	struct stat st;
	int fd, e = 0;
	unsigned int nreg = 0, i;

	memset(fs, 0, sizeof(*fs));
	*what = "open";
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno;
	*what = "stat";
	if (fstat(fd, &st)) {
		e = errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		*what = "not a regular file";
		e = EINVAL;
		goto out;
	}
	fs->size = (uint64_t)st.st_size;
	first = off / page_size;
	fs->offset = first * page_size;
	end = len ? off + len : fs->size;
	if (end < off)
		end = UINT64_MAX;
	if (len == 0 && off >= fs->size)
		end = off;
	npages = end > fs->offset ?
		(end - fs->offset + page_size - 1) / page_size : 0;
	fs->length = npages * page_size;

	*what = "out of memory";
	vec = malloc(STATE_CHUNK_PAGES);
	if (!vec) {
		e = ENOMEM;
		goto out;
	}
	if (map) {
		nreg = npages < regions ? (unsigned int)npages : regions;
		fs->map = calloc((size_t)nreg + 1, 1);
		rres = calloc((size_t)nreg + 1, sizeof(*rres));
		rdirty = calloc((size_t)nreg + 1, sizeof(*rdirty));
		rwb = calloc((size_t)nreg + 1, sizeof(*rwb));
		rpages = calloc((size_t)nreg + 1, sizeof(*rpages));
		if (!fs->map || !rres || !rdirty || !rwb || !rpages) {
			e = ENOMEM;
			goto out;
		}
	}
	*what = "page-cache state";
	progress_start(&pg, path, fs->length);
	while (done < npages) {
		struct vmsync_cache_counts c;
		uint64_t want = npages - done, p;

		if (want > STATE_CHUNK_PAGES)
			want = STATE_CHUNK_PAGES;
		if (vmsync_cache_state(fd, (first + done) * page_size,
				       want * page_size, vec, (size_t)want,
				       &c)) {
			e = errno;
			goto out_progress;
		}
		if (c.nr_pages == 0 || c.nr_pages > want) {
			e = EIO;	/* the module broke its contract */
			goto out_progress;
		}
		fs->c.nr_pages += c.nr_pages;
		fs->c.nr_resident += c.nr_resident;
		fs->c.nr_dirty += c.nr_dirty;
		fs->c.nr_writeback += c.nr_writeback;
		for (p = 0; map && p < c.nr_pages; p++) {
			/* Region r holds pages [r*npages/nreg, (r+1)*...). */
			uint64_t page = done + p;
			unsigned int r = region_of(page, npages, nreg);

			rpages[r]++;
			rres[r] += !!(vec[p] & VMSYNC_PAGE_RESIDENT);
			rdirty[r] += !!(vec[p] & VMSYNC_PAGE_DIRTY);
			rwb[r] += !!(vec[p] & VMSYNC_PAGE_WRITEBACK);
		}
		done += c.nr_pages;
		progress_update(&pg, done * page_size);
	}
	for (i = 0; i < nreg; i++)
		fs->map[i] = map_char(rpages[i], rres[i], rdirty[i], rwb[i]);
out_progress:
	progress_end(&pg);
out:
	free(vec);
	free(rres);
	free(rdirty);
	free(rwb);
	free(rpages);
	close(fd);
	return e;
}

static int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "range", required_argument, NULL, 'r' },
		{ "map", no_argument, NULL, 'm' },
		{ "regions", required_argument, NULL, 'R' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	uint64_t off = 0, len = 0, v;
	unsigned int regions = DEFAULT_REGIONS;
	bool map = false, regions_set = false, first_file = true;
	int c, i, rc = EXIT_OK, e;

	while ((c = getopt_long(argc, argv, "r:mR:bJh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (parse_range(optarg, &off, &len))
				return bad_usage("status", "bad range '%s'",
						 optarg);
			break;
		case 'm':
			map = true;
			break;
		case 'R':
			if (parse_size(optarg, &v) || v == 0 ||
			    v > MAX_REGIONS)
				return bad_usage("status",
					"bad region count '%s' (1 to 65536)",
					optarg);
			regions = (unsigned int)v;
			regions_set = true;
			break;
		case 'b':
			opt_bytes = true;
			break;
		case 'J':
			opt_json = true;
			break;
		case 'h':
			return usage_of("status", stdout);
		default:
			return bad_usage("status", "%s", "bad option");
		}
	}
	if (optind >= argc)
		return bad_usage("status", "%s", "no file named");
	if (regions_set && !map)
		return bad_usage("status", "%s", "--regions needs --map");
	e = need_module();
	if (e)
		return e;

	if (opt_json)
		printf("{\"page_size\":%zu,\"files\":[", page_size);
	else
		printf("%8s %8s %8s %9s %8s %s\n", "PAGES", "RES", "DIRTY",
		       "WRITEBACK", "SIZE", "FILE");
	for (i = optind; i < argc; i++) {
		struct file_state fs;
		const char *what, *path = argv[i];
		char b1[32], b2[32], b3[32], b4[32];
		bool f = true;

		e = examine(path, off, len, map, regions, &fs, &what);
		if (e == ENODEV) {
			free(fs.map);
			if (opt_json)
				printf("]}\n");
			return no_module();
		}
		if (e) {
			if (e == ENOTTY) {
				/* No file can be examined: stop. */
				err_msg("the loaded module has no VMSYNC_IOC_CACHE_STATE (API version 4 or later needed)");
				if (opt_json)
					printf("]}\n");
				return EXIT_FAILED;
			}
			if (e == EPERM && !strcmp(what, "page-cache state"))
				err_msg("%s: %s (the page-cache state of a file needs write access to it)",
					path, strerror(e));
			else if (e == EINVAL && what[0] == 'n')
				err_msg("%s: %s", path, what);
			else
				err_msg("%s: %s", path, strerror(e));
			rc = EXIT_FILES;
			if (opt_json) {
				if (!first_file)
					putchar(',');
				first_file = false;
				putchar('{');
				json_string(&f, "file", path);
				json_string(&f, "error", e == EINVAL &&
					    what[0] == 'n' ? what :
					    strerror(e));
				json_int(&f, "errno", e);
				putchar('}');
			}
			free(fs.map);
			continue;
		}
		if (opt_json) {
			if (!first_file)
				putchar(',');
			first_file = false;
			putchar('{');
			json_string(&f, "file", path);
			json_u64(&f, "size", fs.size);
			json_u64(&f, "offset", fs.offset);
			json_u64(&f, "length", fs.length);
			json_u64(&f, "pages", fs.c.nr_pages);
			json_u64(&f, "resident", fs.c.nr_resident);
			json_u64(&f, "dirty", fs.c.nr_dirty);
			json_u64(&f, "writeback", fs.c.nr_writeback);
			if (fs.map)
				json_string(&f, "map", fs.map);
			putchar('}');
		} else {
			printf("%8" PRIu64 " %8s %8s %9s %8s %s\n",
			       fs.c.nr_resident,
			       fmt_size(fs.c.nr_resident * page_size, b1,
					sizeof(b1)),
			       fmt_size(fs.c.nr_dirty * page_size, b2,
					sizeof(b2)),
			       fmt_size(fs.c.nr_writeback * page_size, b3,
					sizeof(b3)),
			       fmt_size(fs.size, b4, sizeof(b4)), path);
			if (fs.map)
				printf("%8s [%s]\n", "", fs.map);
		}
		free(fs.map);
	}
	if (opt_json)
		printf("]}\n");
	return rc;
}

/* --- sync ---------------------------------------------------------------- */

static int parse_vm_flags(const char *s, unsigned int *flags)
{
	char buf[128], *tok, *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	*flags = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "async") || !strcmp(tok, "asynchronous"))
			*flags |= VMSYNC_VM_SYNC_ASYNCHRONOUS;
		else if (!strcmp(tok, "sync") || !strcmp(tok, "synchronous"))
			*flags |= VMSYNC_VM_SYNC_SYNCHRONOUS;
		else if (!strcmp(tok, "invalidate"))
			*flags |= VMSYNC_VM_SYNC_INVALIDATE;
		else
			return -1;
	}
	return *flags ? 0 : -1;
}

static void vm_flags_str(unsigned int f, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s",
		 f & VMSYNC_VM_SYNC_ASYNCHRONOUS ? "async," : "",
		 f & VMSYNC_VM_SYNC_SYNCHRONOUS ? "sync," : "",
		 f & VMSYNC_VM_SYNC_INVALIDATE ? "invalidate," : "");
	if (*buf)
		buf[strlen(buf) - 1] = '\0';
}

static void ms_flags_str(int f, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s",
		 f & MS_ASYNC ? "async," : "",
		 f & MS_SYNC ? "sync," : "",
		 f & MS_INVALIDATE ? "invalidate," : "");
	if (*buf)
		buf[strlen(buf) - 1] = '\0';
}

/* A vmsync_kern_return_t's Mach name: KERN_SUCCESS, ... */
static const char *kr_name(vmsync_kern_return_t kr)
{
	switch (kr) {
	case VMSYNC_KERN_SUCCESS: return "KERN_SUCCESS";
	case VMSYNC_KERN_INVALID_ADDRESS: return "KERN_INVALID_ADDRESS";
	case VMSYNC_KERN_PROTECTION_FAILURE: return "KERN_PROTECTION_FAILURE";
	case VMSYNC_KERN_INVALID_ARGUMENT: return "KERN_INVALID_ARGUMENT";
	case VMSYNC_KERN_FAILURE: return "KERN_FAILURE";
	case VMSYNC_KERN_RESOURCE_SHORTAGE: return "KERN_RESOURCE_SHORTAGE";
	case VMSYNC_KERN_MEMORY_ERROR: return "KERN_MEMORY_ERROR";
	case VMSYNC_KERN_ABORTED: return "KERN_ABORTED";
	case VMSYNC_KERN_INVALID_TASK: return "KERN_INVALID_TASK";
	default: return "KERN_UNKNOWN";
	}
}

/* The counts of one sync, and how it ended. */
struct sync_result {
	uint64_t written, discarded;	/* pages */
	int error;			/* errno, or 0 */
	bool mach;
	vmsync_kern_return_t kr;
};

static void print_sync(const char *file, uint64_t off, uint64_t len,
		       const char *flags, const struct sync_result *r,
		       long long pid, uint64_t address)
{
	char b1[32], b2[32];
	bool f = true;

	if (opt_json) {
		putchar('{');
		if (file)
			json_string(&f, "file", file);
		else
			json_int(&f, "pid", pid);
		if (!file)
			json_u64(&f, "address", address);
		else
			json_u64(&f, "offset", off);
		json_u64(&f, file ? "length" : "size", len);
		json_string(&f, "call", r->mach ? "vm_msync" : "msync");
		json_string(&f, "flags", flags);
		if (r->mach) {
			json_int(&f, "kr", r->kr);
			json_string(&f, "kr_name", kr_name(r->kr));
			json_string(&f, "kr_string",
				    vmsync_kern_return_string(r->kr));
		}
		json_int(&f, "errno", r->error);
		json_u64(&f, "page_size", page_size);
		json_u64(&f, "written", r->written);
		json_u64(&f, "discarded", r->discarded);
		printf("}\n");
		return;
	}
	if (r->mach)
		printf("kr: %s (%d, %s)\n", kr_name(r->kr), r->kr,
		       vmsync_kern_return_string(r->kr));
	printf("written: %" PRIu64 " pages (%s)\n", r->written,
	       fmt_size(r->written * page_size, b1, sizeof(b1)));
	printf("discarded: %" PRIu64 " pages (%s)\n", r->discarded,
	       fmt_size(r->discarded * page_size, b2, sizeof(b2)));
}

/* Another process's mapping, through a task handle. */
static int sync_pid(pid_t pid, uint64_t address, uint64_t size,
		    unsigned int flags)
{
	struct vmsync_vm_msync_result res = { 0 };
	struct sync_result r = { .mach = true };
	char fl[64];
	vmsync_task_t task;
	vmsync_kern_return_t kr;

	kr = vmsync_task_for_pid(pid, &task);
	if (kr != VMSYNC_KERN_SUCCESS) {
		int e = errno;

		if (e == ENODEV)
			return no_module();
		err_msg("task for pid %ld: %s: %s", (long)pid, kr_name(kr),
			vmsync_strerror(e));
		return EXIT_FAILED;
	}
	r.kr = vmsync_vm_msync(task, (uintptr_t)address, (uintptr_t)size,
			       flags, &res);
	vmsync_task_release(task);
	r.written = res.pages_returned;
	r.discarded = res.pages_discarded;
	r.error = res.error;
	vm_flags_str(flags, fl, sizeof(fl));
	print_sync(NULL, 0, size, fl, &r, pid, address);
	if (r.kr != VMSYNC_KERN_SUCCESS) {
		err_msg("vm_msync of pid %ld: %s%s%s", (long)pid,
			kr_name(r.kr),
			r.error ? ": " : "",
			r.error ? vmsync_strerror(r.error) : "");
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

static int sync_file(const char *path, uint64_t off, uint64_t len,
		     int ms_flags, bool mach, unsigned int vm_flags)
{
	struct sync_result r = { .mach = mach, .kr = VMSYNC_KERN_SUCCESS };
	uint64_t start, end, pos;
	struct progress pg;
	struct stat st;
	int fd, prot = PROT_READ | PROT_WRITE;
	char fl[64];

	/* O_NONBLOCK: a FIFO given by mistake must not hang the open. */
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && (errno == EACCES || errno == EROFS || errno == ETXTBSY)) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		prot = PROT_READ;
	}
	if (fd < 0) {
		err_msg("%s: %s", path, strerror(errno));
		return EXIT_FILES;
	}
	if (fstat(fd, &st)) {
		err_msg("%s: %s", path, strerror(errno));
		close(fd);
		return EXIT_FILES;
	}
	if (!S_ISREG(st.st_mode)) {
		err_msg("%s: not a regular file", path);
		close(fd);
		return EXIT_FILES;
	}
	start = off / page_size * page_size;
	end = len ? off + len : (uint64_t)st.st_size;
	if (end < off || end > (uint64_t)st.st_size)
		end = (uint64_t)st.st_size;
	end = end > start ? end : start;

	progress_start(&pg, path, end - start);
	for (pos = start; pos < end && !r.error; ) {
		uint64_t n = end - pos;
		unsigned long long w = 0, d = 0;
		void *p;

		if (n > SYNC_CHUNK_BYTES)
			n = SYNC_CHUNK_BYTES;
		p = mmap(NULL, (size_t)n, prot, MAP_SHARED, fd, (off_t)pos);
		if (p == MAP_FAILED) {
			r.error = errno;
			err_msg("%s: mmap: %s", path, strerror(r.error));
			break;
		}
		if (mach) {
			struct vmsync_vm_msync_result res = { 0 };

			r.kr = vmsync_vm_msync(vmsync_task_self(), (uintptr_t)p,
					       (uintptr_t)n, vm_flags, &res);
			w = res.pages_returned;
			d = res.pages_discarded;
			if (r.kr != VMSYNC_KERN_SUCCESS)
				r.error = res.error ? res.error : errno;
		} else if (vmsync_msync_counts(p, (size_t)n, ms_flags, &w,
					       &d)) {
			r.error = errno;
		}
		munmap(p, (size_t)n);
		r.written += w;
		r.discarded += d;
		pos += n;
		progress_update(&pg, pos - start);
	}
	progress_end(&pg);
	close(fd);
	if (r.error == ENODEV)
		return no_module();
	if (mach)
		vm_flags_str(vm_flags, fl, sizeof(fl));
	else
		ms_flags_str(ms_flags, fl, sizeof(fl));
	print_sync(path, start, end - start, fl, &r, 0, 0);
	if (r.error) {
		if (mach)
			err_msg("%s: vm_msync: %s: %s", path, kr_name(r.kr),
				vmsync_strerror(r.error));
		else
			err_msg("%s: msync: %s", path,
				vmsync_strerror(r.error));
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

static int cmd_sync(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "range", required_argument, NULL, 'r' },
		{ "async", no_argument, NULL, 'a' },
		{ "invalidate", no_argument, NULL, 'i' },
		{ "vm-sync", required_argument, NULL, 'V' },
		{ "pid", required_argument, NULL, 'p' },
		{ "address", required_argument, NULL, 'A' },
		{ "size", required_argument, NULL, 's' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	uint64_t off = 0, len = 0, address = 0, size = 0;
	bool range = false, have_addr = false, have_size = false;
	bool async = false, inval = false, mach = false;
	unsigned int vm_flags = VMSYNC_VM_SYNC_SYNCHRONOUS;
	long long pid = -1;
	char *end;
	int c, e;

	while ((c = getopt_long(argc, argv, "r:aiV:p:A:s:bJh", opts,
				NULL)) != -1) {
		switch (c) {
		case 'r':
			if (parse_range(optarg, &off, &len))
				return bad_usage("sync", "bad range '%s'",
						 optarg);
			range = true;
			break;
		case 'a':
			async = true;
			break;
		case 'i':
			inval = true;
			break;
		case 'V':
			if (parse_vm_flags(optarg, &vm_flags))
				return bad_usage("sync",
					"bad --vm-sync flags '%s' (async, sync, invalidate)",
					optarg);
			mach = true;
			break;
		case 'p':
			errno = 0;
			pid = strtoll(optarg, &end, 10);
			if (errno || *end || end == optarg || pid <= 0 ||
			    pid > INT_MAX)
				return bad_usage("sync", "bad pid '%s'",
						 optarg);
			break;
		case 'A':
			if (parse_size(optarg, &address))
				return bad_usage("sync", "bad address '%s'",
						 optarg);
			have_addr = true;
			break;
		case 's':
			if (parse_size(optarg, &size))
				return bad_usage("sync", "bad size '%s'",
						 optarg);
			have_size = true;
			break;
		case 'b':
			opt_bytes = true;
			break;
		case 'J':
			opt_json = true;
			break;
		case 'h':
			return usage_of("sync", stdout);
		default:
			return bad_usage("sync", "%s", "bad option");
		}
	}
	if (pid > 0) {
		if (optind != argc)
			return bad_usage("sync", "%s",
					 "--pid takes no FILE");
		if (!have_addr || !have_size)
			return bad_usage("sync", "%s",
					 "--pid needs --address and --size");
		if (range || async || inval)
			return bad_usage("sync", "%s",
				"--pid takes --vm-sync, not --range, --async or --invalidate");
		if (address > UINTPTR_MAX || size > UINTPTR_MAX)
			return bad_usage("sync", "%s",
					 "address or size too large");
		e = need_module();
		return e ? e : sync_pid((pid_t)pid, address, size, vm_flags);
	}
	if (have_addr || have_size)
		return bad_usage("sync", "%s",
				 "--address and --size go with --pid");
	if (optind >= argc)
		return bad_usage("sync", "%s", "no file named");
	if (optind + 1 < argc)
		return bad_usage("sync", "%s", "one file at a time");
	if (mach && (async || inval))
		return bad_usage("sync", "%s",
			"--vm-sync takes its own flags: not with --async or --invalidate");
	e = need_module();
	if (e)
		return e;
	return sync_file(argv[optind], off, len,
			 (async ? MS_ASYNC : MS_SYNC) | (inval ? MS_INVALIDATE : 0),
			 mach, vm_flags);
}

/* --- stats --------------------------------------------------------------- */

static const struct {
	uint64_t bit;
	const char *name;
} features[] = {
	{ VMSYNC_FEATURE_MSYNC, "msync" },
	{ VMSYNC_FEATURE_ASYNC_STARTS_IO, "async_starts_io" },
	{ VMSYNC_FEATURE_INVALIDATE, "invalidate" },
	{ VMSYNC_FEATURE_VM_MSYNC, "vm_msync" },
	{ VMSYNC_FEATURE_TASKS, "tasks" },
	{ VMSYNC_FEATURE_STATS, "stats" },
	{ VMSYNC_FEATURE_CACHE_STATE, "cache_state" },
};

static int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct vmsync_api api;
	struct vmsync_stats st;
	char rel[32] = "unknown";
	size_t i;
	int c, e;

	while ((c = getopt_long(argc, argv, "Jbh", opts, NULL)) != -1) {
		switch (c) {
		case 'J':
			opt_json = true;
			break;
		case 'b':
			opt_bytes = true;
			break;
		case 'h':
			return usage_of("stats", stdout);
		default:
			return bad_usage("stats", "%s", "bad option");
		}
	}
	if (optind != argc)
		return bad_usage("stats", "unexpected argument '%s'",
				 argv[optind]);
	e = need_module();
	if (e)
		return e;
	if (vmsync_get_api(&api)) {
		e = errno;
		if (e == ENODEV)
			return no_module();
		err_msg("API: %s", vmsync_strerror(e));
		return EXIT_FAILED;
	}
	if (vmsync_get_stats(&st)) {
		e = errno;
		if (e == ENODEV)
			return no_module();
		err_msg("stats: %s", vmsync_strerror(e));
		return EXIT_FAILED;
	}
	if (api.release)
		snprintf(rel, sizeof(rel), "%u.%u.%u",
			 (unsigned int)VMSYNC_RELEASE_MAJOR(api.release),
			 (unsigned int)VMSYNC_RELEASE_MINOR(api.release),
			 (unsigned int)VMSYNC_RELEASE_PATCH(api.release));
	if (opt_json) {
		bool f = true, ff = true;

		putchar('{');
		json_string(&f, "library", VMSYNC_VERSION);
		json_string(&f, "module_release", rel);
		json_u64(&f, "api_version", api.version);
		json_key(&f, "features");
		putchar('[');
		for (i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
			if (!(api.features & features[i].bit))
				continue;
			if (!ff)
				putchar(',');
			ff = false;
			json_str(features[i].name);
		}
		putchar(']');
		json_u64(&f, "calls", st.calls);
		json_u64(&f, "requests", st.requests);
		json_u64(&f, "requests_pending", st.requests_pending);
		json_u64(&f, "pages_returned", st.pages_returned);
		json_u64(&f, "pages_discarded", st.pages_discarded);
		json_u64(&f, "precious_returned", st.precious_returned);
		json_u64(&f, "errors", st.errors);
		json_u64(&f, "aborted", st.aborted);
		printf("}\n");
		return EXIT_OK;
	}
	printf("library:           %s\n", VMSYNC_VERSION);
	printf("module release:    %s\n", rel);
	printf("api version:       %u\n", (unsigned int)api.version);
	printf("features:         ");
	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (api.features & features[i].bit)
			printf(" %s", features[i].name);
	printf("\n");
	printf("calls:             %" PRIu64 "\n", (uint64_t)st.calls);
	printf("requests:          %" PRIu64 "\n", (uint64_t)st.requests);
	printf("requests pending:  %" PRIu64 "\n",
	       (uint64_t)st.requests_pending);
	printf("pages returned:    %" PRIu64 "\n", (uint64_t)st.pages_returned);
	printf("pages discarded:   %" PRIu64 "\n",
	       (uint64_t)st.pages_discarded);
	printf("precious returned: %" PRIu64 "\n",
	       (uint64_t)st.precious_returned);
	printf("errors:            %" PRIu64 "\n", (uint64_t)st.errors);
	printf("aborted:           %" PRIu64 "\n", (uint64_t)st.aborted);
	return EXIT_OK;
}

/* --- trace --------------------------------------------------------------- */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* The module's events (kmod/vmsync_trace.h). */
static const char *const event_names[] = {
	"vmsync_synchronize", "vmsync_synchronize_completed",
	"vmsync_data_return", "vmsync_data_request",
	"vmsync_invalidate", "vmsync_discard_dirty",
	"vmsync_call_done",
};
#define NR_EVENTS (sizeof(event_names) / sizeof(event_names[0]))

/* An event there is, with the enable state it had. */
struct trace_event {
	const char *name;
	char was;	/* '0' or '1' */
};

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	size_t n = strlen(text);

	if (fd < 0)
		return -1;
	if (write(fd, text, n) != (ssize_t)n)
		ret = -1;
	if (close(fd))
		ret = -1;
	return ret;
}

static int read_char(const char *path, char *c)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, c, 1);
	close(fd);
	return n == 1 ? 0 : -1;
}

/* "  comm-123  [001] d..1.  12.345: vmsync_x: rest": its pieces. */
struct trace_line {
	const char *task;	/* up to the pid's '-' */
	size_t task_len;
	long pid;
	int cpu;
	const char *ts;
	size_t ts_len;
	const char *event;
	size_t event_len;
	const char *fields;
};

static int parse_trace_line(const char *l, struct trace_line *t)
{
	const char *br = strchr(l, '['), *p, *ev;
	char *end;

	if (!br)
		return -1;
	p = br;
	while (p > l && p[-1] == ' ')
		p--;
	/* p ends "comm-pid". */
	{
		const char *dash = p;

		while (dash > l && dash[-1] != '-')
			dash--;
		if (dash == l)
			return -1;
		t->pid = strtol(dash, &end, 10);
		if (end != p)
			return -1;
		t->task = l;
		while (*t->task == ' ')
			t->task++;
		t->task_len = (size_t)(dash - 1 - t->task);
	}
	t->cpu = (int)strtol(br + 1, &end, 10);
	ev = strstr(br, ": vmsync_");
	if (!ev)
		return -1;
	p = ev;
	while (p > br && p[-1] != ' ')
		p--;
	t->ts = p;
	t->ts_len = (size_t)(ev - p);
	t->event = ev + 2;
	p = strchr(t->event, ':');
	if (!p)
		return -1;
	t->event_len = (size_t)(p - t->event);
	t->fields = p + 1;
	while (*t->fields == ' ')
		t->fields++;
	return 0;
}

static int cmd_trace(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const roots[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing"
	};
	struct trace_event ev[NR_EVENTS];
	unsigned long long count = 0, shown = 0;
	long long pid = -1;
	char path[256], *line = NULL, *end;
	const char *root = NULL;
	size_t cap = 0, i, nev = 0;
	struct sigaction sa;
	struct stat st;
	FILE *pipe_f = NULL;
	int c, rc = EXIT_OK, e;

	while ((c = getopt_long(argc, argv, "p:n:Jh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			errno = 0;
			pid = strtoll(optarg, &end, 10);
			if (errno || *end || end == optarg || pid <= 0)
				return bad_usage("trace", "bad pid '%s'",
						 optarg);
			break;
		case 'n':
			errno = 0;
			count = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg || count == 0 ||
			    optarg[0] == '-')
				return bad_usage("trace", "bad count '%s'",
						 optarg);
			break;
		case 'J':
			opt_json = true;
			break;
		case 'h':
			return usage_of("trace", stdout);
		default:
			return bad_usage("trace", "%s", "bad option");
		}
	}
	if (optind != argc)
		return bad_usage("trace", "unexpected argument '%s'",
				 argv[optind]);
	e = need_module();
	if (e)
		return e;
	for (i = 0; i < 2 && !root; i++) {
		snprintf(path, sizeof(path), "%s/events/vmsync", roots[i]);
		if (!stat(path, &st))
			root = roots[i];
	}
	if (!root) {
		err_msg("no vmsync events in %s/events or %s/events (tracefs not mounted, or not root?)",
			roots[0], roots[1]);
		return EXIT_FAILED;
	}
	/* Each event's enable state, to put back. */
	for (i = 0; i < NR_EVENTS; i++) {
		snprintf(path, sizeof(path), "%s/events/vmsync/%s/enable",
			 root, event_names[i]);
		if (read_char(path, &ev[nev].was))
			continue;
		ev[nev++].name = event_names[i];
	}
	if (!nev) {
		err_msg("%s/events/vmsync: %s", root, strerror(errno));
		return EXIT_FAILED;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: reads end */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);

	for (i = 0; i < nev; i++) {
		snprintf(path, sizeof(path), "%s/events/vmsync/%s/enable",
			 root, ev[i].name);
		if (write_text(path, "1")) {
			err_msg("%s: %s", path, strerror(errno));
			rc = EXIT_FAILED;
			goto restore;
		}
	}
	snprintf(path, sizeof(path), "%s/trace_pipe", root);
	pipe_f = fopen(path, "re");
	if (!pipe_f) {
		err_msg("%s: %s", path, strerror(errno));
		rc = EXIT_FAILED;
		goto restore;
	}
	if (opt_json)
		printf("{\"events\":[");
	fflush(stdout);
	while (!stop_signal && (!count || shown < count)) {
		struct trace_line t;
		ssize_t n;
		bool f = true;

		n = getline(&line, &cap, pipe_f);
		if (n < 0) {
			if (errno == EINTR || stop_signal)
				break;
			if (feof(pipe_f) || errno == 0) {
				clearerr(pipe_f);
				continue;
			}
			err_msg("%s: %s", path, strerror(errno));
			rc = EXIT_FAILED;
			break;
		}
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (parse_trace_line(line, &t))
			continue;	/* another subsystem's event */
		if (pid > 0 && t.pid != pid)
			continue;
		if (opt_json) {
			char buf[512];

			if (shown)
				putchar(',');
			putchar('{');
			snprintf(buf, sizeof(buf), "%.*s", (int)t.task_len,
				 t.task);
			json_string(&f, "task", buf);
			json_int(&f, "pid", t.pid);
			json_int(&f, "cpu", t.cpu);
			snprintf(buf, sizeof(buf), "%.*s", (int)t.ts_len,
				 t.ts);
			json_string(&f, "timestamp", buf);
			snprintf(buf, sizeof(buf), "%.*s", (int)t.event_len,
				 t.event);
			json_string(&f, "event", buf);
			json_string(&f, "fields", t.fields);
			putchar('}');
		} else {
			const char *s = line;

			while (*s == ' ')
				s++;
			puts(s);
		}
		shown++;
		fflush(stdout);
	}
	if (opt_json)
		printf("]}\n");
	fclose(pipe_f);
restore:
	free(line);
	for (i = 0; i < nev; i++) {
		char was[2] = { ev[i].was, '\0' };

		snprintf(path, sizeof(path), "%s/events/vmsync/%s/enable",
			 root, ev[i].name);
		if (write_text(path, was)) {
			err_msg("%s: could not put back '%s': %s", path, was,
				strerror(errno));
			rc = EXIT_FAILED;
		}
	}
	return rc;
}

/* --- main ---------------------------------------------------------------- */

static char *cmd_name(const char *cmd)
{
	static char status[] = "vmsync status", sync[] = "vmsync sync",
		stats[] = "vmsync stats", trace[] = "vmsync trace";

	if (!strcmp(cmd, "status"))
		return status;
	if (!strcmp(cmd, "sync"))
		return sync;
	if (!strcmp(cmd, "stats"))
		return stats;
	return trace;
}

int main(int argc, char **argv)
{
	const char *cmd;
	long ps = sysconf(_SC_PAGESIZE);

	page_size = ps > 0 ? (size_t)ps : 4096;
	if (argc < 2)
		return bad_usage(NULL, "%s", "no command");
	cmd = argv[1];
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-v")) {
		printf("vmsync %s (libvmsync %s)\n", VMSYNC_VERSION,
		       VMSYNC_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h"))
		return usage_of(NULL, stdout);
	if (!strcmp(cmd, "help")) {
		if (argc > 3)
			return bad_usage(NULL, "%s", "help takes one command");
		return usage_of(argc == 3 ? argv[2] : NULL, stdout);
	}
	if (strcmp(cmd, "status") && strcmp(cmd, "sync") &&
	    strcmp(cmd, "stats") && strcmp(cmd, "trace"))
		return bad_usage(NULL, "unknown command '%s'", cmd);
	/*
	 * getopt_long sees the command as its argv[0] and names it so in
	 * its messages.
	 */
	argv[1] = cmd_name(cmd);
	if (!strcmp(cmd, "status"))
		return cmd_status(argc - 1, argv + 1);
	if (!strcmp(cmd, "sync"))
		return cmd_sync(argc - 1, argv + 1);
	if (!strcmp(cmd, "stats"))
		return cmd_stats(argc - 1, argv + 1);
	return cmd_trace(argc - 1, argv + 1);
}
