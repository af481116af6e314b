// SPDX-License-Identifier: GPL-2.0
/*
 * Task handles under Yama ptrace_scope 3, "no attach": nobody, root
 * included, gets a handle to another process, exactly as nobody can
 * ptrace(PTRACE_ATTACH) one; a handle to oneself is still granted.
 *
 * Scope 3 cannot be lowered again until reboot, so this program leaves
 * the machine in it: run it in a test VM only, after every other test
 * (scripts/guest-selftests runs the programs named *_final_test last).
 * Run as root with $VMSYNC_TEST_DIR on a file system not mounted nosuid.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>

#include "kselftest_harness.h"
#include "vmsync.h"
#include "vmsync_task_matrix.h"
#include "vmsync_test_util.h"

FIXTURE(scope3) {
	struct tm_targets t;
};

FIXTURE_SETUP(scope3)
{
	tm_targets_setup(_metadata, &self->t);
}

FIXTURE_TEARDOWN(scope3)
{
	tm_targets_teardown(&self->t);
}

TEST_F_TIMEOUT(scope3, no_handle_where_no_attach, 120)
{
	static const bool granted[2][TM_NTARGETS] = {
		{ [TM_SELF] = true },
		{ [TM_SELF] = true },
	};

	tm_set_scope(_metadata, 3);
	tm_check_scope(_metadata, &self->t, 3, granted);
}

int main(int argc, char **argv)
{
	vt_helper(argc, argv);
	return test_harness_run(argc, argv);
}
