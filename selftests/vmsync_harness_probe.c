// SPDX-License-Identifier: GPL-2.0
/*
 * Not a test of vmsync: a probe of the kselftest harness as this tree
 * builds it, which scripts/harness-check runs on the host.  One test fails
 * an ASSERT on purpose and one passes; each fixture teardown appends a
 * line to $VMSYNC_PROBE_MARKER.  Both teardowns must run: the selftests'
 * teardowns put back what their setups changed on the test machine
 * (sysctls, device-mapper tables, mounts), so that one failed test does
 * not fail the tests after it.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "kselftest_harness.h"

FIXTURE(probe) {
	int set_up;
};

FIXTURE_SETUP(probe)
{
	self->set_up = 1;
}

FIXTURE_TEARDOWN(probe)
{
	const char *path = getenv("VMSYNC_PROBE_MARKER");
	FILE *marker = path ? fopen(path, "a") : NULL;

	if (marker) {
		fputs("teardown\n", marker);
		fclose(marker);
	}
}

TEST_F(probe, fails_an_assert_on_purpose)
{
	ASSERT_EQ(0, self->set_up);
}

TEST_F(probe, passes)
{
	ASSERT_EQ(1, self->set_up);
}

TEST_HARNESS_MAIN
