// SPDX-License-Identifier: GPL-2.0-only
/*
 * For scripts/cli-check, on the host, which has no module: the vmsync
 * command linked with -Wl,--wrap=vmsync_fd,--wrap=vmsync_cache_state gets
 * these instead, so that its counting, its map and its JSON can be checked
 * against a page-cache state the file itself describes: the first byte of
 * each page says what the page is, 'o' resident and clean, 'D' dirty, 'W'
 * under writeback, 0 not resident.  FAKE_ERRNO=N makes every call fail
 * with errno N.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vmsync.h>

int __wrap_vmsync_fd(void);
int __wrap_vmsync_cache_state(int fd, uint64_t offset, uint64_t len,
			      unsigned char *vec, size_t vec_len,
			      struct vmsync_cache_counts *c);

int __wrap_vmsync_fd(void)
{
	return 0;
}

int __wrap_vmsync_cache_state(int fd, uint64_t offset, uint64_t len,
			      unsigned char *vec, size_t vec_len,
			      struct vmsync_cache_counts *c)
{
	const char *fail = getenv("FAKE_ERRNO");
	uint64_t ps = (uint64_t)sysconf(_SC_PAGESIZE), first, n, i;
	struct stat st;

	if (fail) {
		errno = atoi(fail);
		return -1;
	}
	if (fstat(fd, &st) || !len)
		return -1;	/* the command always gives a length */
	first = offset / ps;
	n = (offset + len + ps - 1) / ps - first;
	if (vec && n > vec_len)
		n = vec_len;
	memset(c, 0, sizeof(*c));
	c->nr_pages = n;
	for (i = 0; i < n; i++) {
		unsigned char ch = 0, s = 0;

		if (pread(fd, &ch, 1, (off_t)((first + i) * ps)) != 1)
			ch = 0;
		if (ch)
			s = VMSYNC_PAGE_RESIDENT;
		if (ch == 'D')
			s |= VMSYNC_PAGE_DIRTY;
		if (ch == 'W')
			s |= VMSYNC_PAGE_WRITEBACK;
		c->nr_resident += !!(s & VMSYNC_PAGE_RESIDENT);
		c->nr_dirty += !!(s & VMSYNC_PAGE_DIRTY);
		c->nr_writeback += !!(s & VMSYNC_PAGE_WRITEBACK);
		if (vec)
			vec[i] = s;
	}
	return 0;
}
